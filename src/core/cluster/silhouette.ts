import { clusterSums, dot } from './vecmath';

/**
 * Mean silhouette with cosine distance (1 - cos) over unit vectors. Exact, in O(n·k·d) rather than
 * O(n²·d): for unit vectors the mean distance from x to the members of cluster C is
 * 1 - x·S_C / |C| (S_C: sum of C's vectors), minus x itself when x ∈ C.
 *
 * `sample` restricts which points are averaged (their silhouettes are still exact against all points),
 * as scikit-learn's `sample_size` does. Points alone in their cluster score 0. Fewer than 2 clusters: 0.
 */
export function silhouette(vectors: number[][], labels: ArrayLike<number>, sample?: readonly number[]): number {
  const values = silhouetteValues(vectors, labels, sample);
  if (!values.length) return 0;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Silhouette of each point of `sample` (default: every point). */
export function silhouetteValues(vectors: number[][], labels: ArrayLike<number>, sample?: readonly number[]): number[] {
  let k = 0;
  for (let i = 0; i < labels.length; i++) k = Math.max(k, labels[i] + 1);
  const { sums, counts } = clusterSums(vectors, labels, k);
  const live = counts.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  const idx = sample ?? vectors.map((_, i) => i);
  if (live.length < 2) return idx.map(() => 0);
  return idx.map((i) => {
    const x = vectors[i];
    const own = labels[i];
    if (counts[own] <= 1) return 0;
    const self = dot(x, x);
    const a = 1 - (dot(x, sums[own]) - self) / (counts[own] - 1);
    let b = Infinity;
    for (const c of live) {
      if (c === own) continue;
      const dist = 1 - dot(x, sums[c]) / counts[c];
      if (dist < b) b = dist;
    }
    const m = Math.max(a, b);
    return m > 0 ? (b - a) / m : 0;
  });
}
