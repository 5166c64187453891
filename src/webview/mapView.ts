/** The clusters map's view box: zoom about a point, pan, fit to a set of points. Pure, no DOM (unit-tested). */
export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The whole map: points are placed in [0, 100] on both axes, with a margin for labels. */
export const HOME: ViewBox = { x: -6, y: -6, w: 112, h: 112 };
/** Deepest zoom: a tenth of the map across. */
export const MIN_SIZE = 11.2;

/** Zooms by `factor` (> 1: closer) keeping the map point (cx, cy) where it is on screen. */
export function zoomAt(v: ViewBox, factor: number, cx: number, cy: number): ViewBox {
  const w = Math.min(HOME.w, Math.max(MIN_SIZE, v.w / factor));
  const s = w / v.w;
  return clampBox({ x: cx - (cx - v.x) * s, y: cy - (cy - v.y) * s, w, h: v.h * s });
}

/** Moves the view by (dx, dy) map units. */
export function pan(v: ViewBox, dx: number, dy: number): ViewBox {
  return clampBox({ ...v, x: v.x + dx, y: v.y + dy });
}

/** The smallest square view (within the zoom limits) showing every point with a margin. */
export function fit(points: readonly { x: number; y: number }[], margin = 8): ViewBox {
  if (!points.length) return HOME;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  const size = Math.min(HOME.w, Math.max(MIN_SIZE, x1 - x0 + 2 * margin, y1 - y0 + 2 * margin));
  return clampBox({ x: (x0 + x1) / 2 - size / 2, y: (y0 + y1) / 2 - size / 2, w: size, h: size });
}

/** Keeps the view over the map (it may not drift off into empty space). */
function clampBox(v: ViewBox): ViewBox {
  const x = Math.min(HOME.x + HOME.w - v.w, Math.max(HOME.x, v.x));
  const y = Math.min(HOME.y + HOME.h - v.h, Math.max(HOME.y, v.y));
  return { x, y, w: v.w, h: v.h };
}

/** The scale of on-screen sizes (dots, labels) so they keep their size when zooming: 1 at HOME. */
export function scaleOf(v: ViewBox): number {
  return v.w / HOME.w;
}
