/**
 * Colours of clusters on the map and in the legend: pure, no DOM (unit-tested). Up to 12 clusters
 * the hues are spread evenly; beyond, by the golden angle over three lightness bands, so no two
 * clusters share a colour however many there are (the old palette repeated after 8).
 */
const GOLDEN_ANGLE = 137.508;

export function clusterColors(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (n <= 12) out.push(`hsl(${round((i * 360) / n + 210)}, 70%, 58%)`);
    else {
      const band = i % 3;
      out.push(`hsl(${round(i * GOLDEN_ANGLE + 210)}, ${[72, 60, 80][band]}%, ${[58, 45, 70][band]}%)`);
    }
  }
  return out;
}

function round(h: number): number {
  return Math.round((h % 360) * 10) / 10;
}
