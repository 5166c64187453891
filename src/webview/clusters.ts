import type { ClusterFile, ClusterInfo, ClusterRole } from '../shared/clusters';
import type { PanelClusters, PanelLocation } from '../shared/webviewProtocol';
import { clusterColors } from './colors';
import { byId, h, svg } from './dom';
import { fit, HOME, pan, scaleOf, zoomAt, type ViewBox } from './mapView';
import { locationOf, setLocation } from './results';
import { send } from './vscodeApi';

/**
 * The Clusters view: a summary line; a 2-D map of the files (colours that never repeat, a label on
 * each cluster, zoom with the wheel or + and -, pan by dragging or with the arrows); a legend whose
 * entries drill into a cluster's sub-clusters (on the map and in the legend, with a way back); and
 * the tree of clusters → sub-clusters → files.
 */
const ROLE_TEXT: Record<ClusterRole, string> = { code: '', test: 'tests', example: 'examples' };

let result: PanelClusters | undefined;
/** The clusters drilled into, outermost first; empty at the top. */
let focus: ClusterInfo[] = [];
let view: ViewBox = HOME;

const pos = (f: ClusterFile): { x: number; y: number } => ({ x: f.x * 100, y: 100 - f.y * 100 });

export function locationOfFile(folder: number, f: ClusterFile): PanelLocation {
  return { folder, path: f.path, startLine: f.startLine ?? 1, endLine: f.endLine ?? f.startLine ?? 1 };
}

function what(r: PanelClusters): string {
  return r.level === 'chunk' ? 'chunks' : 'files';
}

function nameOf(c: ClusterInfo): string {
  return c.where !== undefined && c.where !== '' ? `${c.where}/ · ${c.label}` : c.label;
}

export function showClusters(r: PanelClusters): void {
  result = r;
  // Keep the drill-down across refreshes when the same clusters are still there (same label and role).
  const again: ClusterInfo[] = [];
  let level = r.clusters;
  for (const f of focus) {
    const same = level.find((c) => c.label === f.label && c.role === f.role);
    if (!same) break;
    again.push(same);
    level = same.children ?? [];
  }
  if (again.length !== focus.length) view = HOME;
  focus = again;
  const summary = byId('cl-summary');
  summary.classList.remove('error');
  const share = r.largestShare ?? (r.clusters[0] ? r.clusters[0].size / Math.max(1, r.items) : 0);
  summary.textContent =
    `${r.clusters.length} clusters of ${r.items} ${what(r)} · largest ${Math.round(share * 100)}% · ${r.method === 'kmeans' ? 'k-means' : 'hierarchical'}` +
    `${r.kAuto ? ' (k by silhouette)' : ''} · silhouette ${r.silhouette.toFixed(2)}` +
    (r.skipped ? ` · ${r.skipped} files not embedded yet` : '');
  drawLevel();
  drawTree(r);
}

export function showClustersError(message: string): void {
  const summary = byId('cl-summary');
  summary.textContent = message;
  summary.classList.add('error');
}

/** The clusters shown on the map and in the legend: the top level, or the sub-clusters of the focused one. */
function currentLevel(r: PanelClusters): ClusterInfo[] {
  const last = focus[focus.length - 1];
  return last ? (last.children ?? [last]) : r.clusters;
}

function drillInto(path: ClusterInfo[]): void {
  focus = path;
  const last = focus[focus.length - 1];
  view = last ? fit(last.files.map(pos)) : HOME;
  drawLevel();
}

function drawLevel(): void {
  const r = result;
  if (!r) return;
  const level = currentLevel(r);
  const colors = clusterColors(level.length);
  const colorOf = new Map<number, string>();
  level.forEach((c, i) => c.files.forEach((f) => colorOf.set(f.index, colors[i])));

  // Map: every item, dimmed when outside the clusters shown; a label at each cluster's centre.
  const dots = byId('cl-map').querySelector('#cl-dots')!;
  const labels = byId('cl-map').querySelector('#cl-labels')!;
  dots.textContent = '';
  labels.textContent = '';
  for (const top of r.clusters) {
    for (const f of top.files) {
      const p = pos(f);
      const color = colorOf.get(f.index);
      const dot = svg('circle', { cx: p.x.toFixed(2), cy: p.y.toFixed(2), class: color ? 'dot' : 'dot dim', fill: color ?? 'currentColor' });
      const title = svg('title');
      title.textContent = `${f.path}${f.symbol ? ` · ${f.symbol}` : ''}\n${nameOf(top)}`;
      dot.append(title);
      setLocation(dot, locationOfFile(r.folder, f));
      dots.append(dot);
    }
  }
  level.forEach((c, i) => {
    let x = 0;
    let y = 0;
    for (const f of c.files) {
      const p = pos(f);
      x += p.x / c.files.length;
      y += p.y / c.files.length;
    }
    // Near an edge the label runs inwards, so it is not cut off.
    const anchor = x < 25 ? 'start' : x > 75 ? 'end' : 'middle';
    const text = svg('text', { x: x.toFixed(2), y: (y - 2.5).toFixed(2), class: 'map-label', 'text-anchor': anchor, fill: colors[i] });
    text.textContent = c.terms.slice(0, 2).join(', ') || c.label;
    labels.append(text);
  });
  applyView();

  // Legend (with the way back up) for the clusters shown.
  const legend = byId('cl-legend');
  legend.textContent = '';
  if (focus.length) {
    const crumbs = h('div', { className: 'crumbs' });
    const up = h('button', { className: 'link', text: '← All clusters', attrs: { 'data-depth': '0' } });
    up.addEventListener('click', () => drillInto([]));
    crumbs.append(up);
    focus.forEach((c, i) => {
      crumbs.append(' › ');
      const b = h('button', { className: 'link', text: nameOf(c) });
      b.addEventListener('click', () => drillInto(focus.slice(0, i + 1)));
      crumbs.append(b);
    });
    legend.append(crumbs);
  }
  level.forEach((c, i) => {
    const entry = h('button', {
      className: 'legend-entry',
      title: c.children ? 'Show its sub-clusters' : 'Zoom the map to it',
      attrs: { 'aria-label': `${nameOf(c)}, ${c.size} ${what(r)}${c.children ? ', has sub-clusters' : ''}` },
    });
    const swatch = h('span', { className: 'swatch' });
    swatch.style.background = colors[i];
    entry.append(swatch, h('span', { className: 'legend-label', text: nameOf(c) }), h('span', { className: 'dir', text: ` ${c.size}` }));
    if (c.role && ROLE_TEXT[c.role]) entry.append(h('span', { className: 'badge', text: ROLE_TEXT[c.role] }));
    if (c.children) entry.append(h('span', { className: 'more', text: ' ›' }));
    entry.addEventListener('click', () => {
      if (c.children) drillInto([...focus, c]);
      else {
        view = fit(c.files.map(pos));
        applyView();
      }
    });
    legend.append(entry);
  });
}

function applyView(): void {
  const map = byId('cl-map');
  map.setAttribute('viewBox', `${view.x.toFixed(2)} ${view.y.toFixed(2)} ${view.w.toFixed(2)} ${view.h.toFixed(2)}`);
  // Dots and labels keep their size on screen (CSS multiplies their sizes by --s).
  map.style.setProperty('--s', scaleOf(view).toFixed(4));
}

function drawTree(r: PanelClusters): void {
  const tree = byId('cl-tree');
  tree.textContent = '';
  const colors = clusterColors(r.clusters.length);
  const node = (c: ClusterInfo, color: string, path: ClusterInfo[]): HTMLElement => {
    const det = h('details', { attrs: { role: 'treeitem' } });
    det.open = path.length === 1 && r.clusters.length <= 4;
    const swatch = h('span', { className: 'swatch' });
    swatch.style.background = color;
    const sum = h('summary', {}, swatch, h('b', { text: c.label }));
    if (c.where) sum.append(h('span', { className: 'dir', text: ` ${c.where}/` }));
    sum.append(h('span', { className: 'dir', text: ` ${c.size} ${what(r)}` }));
    if (c.role && ROLE_TEXT[c.role]) sum.append(h('span', { className: 'badge', text: ROLE_TEXT[c.role] }));
    const show = h('button', { className: 'link map-link', text: 'map', title: 'Show on the map' });
    show.addEventListener('click', (e) => {
      e.preventDefault();
      drillInto(c.children ? path : path.slice(0, -1));
      if (!c.children) {
        view = fit(c.files.map(pos));
        applyView();
      }
    });
    sum.append(show);
    det.append(sum, h('div', { className: 'terms', text: c.terms.join(' · ') }));
    if (c.children) for (const child of c.children) det.append(node(child, color, [...path, child]));
    else
      for (const f of c.files) {
        const el = h('div', {
          className: 'hit cluster-file',
          text: `${f.path === c.files[0].path ? '★ ' : ''}${f.path}${f.symbol ? ` · ${f.symbol}` : ''}`,
          title: `similarity to the cluster centre ${f.centrality.toFixed(2)}`,
          attrs: { role: 'option', tabindex: '0' },
        });
        setLocation(el, locationOfFile(r.folder, f));
        det.append(el);
      }
    return det;
  };
  r.clusters.forEach((c, i) => tree.append(node(c, colors[i], [c])));
}

/** Map coordinates of a pointer event. */
function mapPoint(map: SVGSVGElement, e: { clientX: number; clientY: number }): { x: number; y: number } {
  const m = map.getScreenCTM();
  if (!m) return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
  return { x: p.x, y: p.y };
}

/** Wheel zoom, drag to pan, keys (+ - 0 and arrows) and the zoom buttons. Clicking a dot opens its file. */
export function wireMap(): void {
  const map = byId('cl-map') as unknown as SVGSVGElement;
  map.append(svg('g', { id: 'cl-dots' }), svg('g', { id: 'cl-labels' }));
  const zoomBy = (factor: number, at?: { x: number; y: number }): void => {
    view = zoomAt(view, factor, at?.x ?? view.x + view.w / 2, at?.y ?? view.y + view.h / 2);
    applyView();
  };
  map.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      zoomBy(Math.exp(-e.deltaY * 0.002), mapPoint(map, e));
    },
    { passive: false },
  );
  let drag: { x: number; y: number; moved: boolean } | undefined;
  map.addEventListener('pointerdown', (e) => {
    drag = { ...mapPoint(map, e), moved: false };
  });
  map.addEventListener('pointermove', (e) => {
    if (!drag || !(e.buttons & 1)) return;
    const p = mapPoint(map, e);
    if (!drag.moved && Math.hypot(p.x - drag.x, p.y - drag.y) < view.w / 100) return;
    if (!drag.moved) map.setPointerCapture(e.pointerId);
    drag.moved = true;
    view = pan(view, drag.x - p.x, drag.y - p.y);
    applyView();
  });
  map.addEventListener('pointerup', (e) => {
    const wasDrag = drag?.moved;
    drag = undefined;
    if (wasDrag) return;
    const dot = (e.target as Element).closest('circle');
    if (dot) {
      const loc = locationOf(dot);
      if (loc) send({ type: 'open', location: loc });
    }
  });
  map.addEventListener('keydown', (e) => {
    const step = view.w / 10;
    if (e.key === '+' || e.key === '=') zoomBy(1.5);
    else if (e.key === '-') zoomBy(1 / 1.5);
    else if (e.key === '0') {
      view = HOME;
      applyView();
    } else if (e.key.startsWith('Arrow')) {
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key] ?? [0, 0];
      view = pan(view, d[0], d[1]);
      applyView();
    } else return;
    e.preventDefault();
  });
  byId('cl-zoom-in').addEventListener('click', () => zoomBy(1.5));
  byId('cl-zoom-out').addEventListener('click', () => zoomBy(1 / 1.5));
  byId('cl-zoom-reset').addEventListener('click', () => {
    view = HOME;
    applyView();
  });
  applyView();
}
