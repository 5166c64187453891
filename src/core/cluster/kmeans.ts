import { kmeans } from 'ml-kmeans';
import { silhouette } from './silhouette';
import { clusterSums, compactLabels, distinctCount, sampleIndices } from './vecmath';

export const DEFAULT_SEED = 42;
/** k-selection runs k-means for every candidate k on at most this many points (kmeans++ seeding in ml-kmeans is O(k·n·d) per run). */
export const K_SELECTION_SAMPLE = 400;
/** Silhouettes are averaged over at most this many points (each one exact against all points). */
export const SILHOUETTE_SAMPLE = 2000;

export interface KmeansOutcome {
  labels: number[];
  centroids: number[][];
  k: number;
  silhouette: number;
  iterations: number;
  /** Silhouette of each candidate k when k was chosen automatically. */
  candidates?: { k: number; silhouette: number }[];
}

/** Candidate k for automatic selection: 2..min(20, ⌊√n⌋ + 3, n - 1). */
export function kRange(n: number, maxK = 20): [number, number] {
  return [2, Math.max(2, Math.min(maxK, Math.floor(Math.sqrt(n)) + 3, n - 1))];
}

/**
 * k-means over unit vectors (squared Euclidean on unit vectors = 2 - 2·cos, so this clusters by
 * cosine), with ml-kmeans. Seeded k-means++ unless `init` (warm start) gives the centroids.
 * Clusters that end up empty are dropped (labels stay 0..k'-1).
 */
export function kmeansFixed(vectors: number[][], k: number, opts: { seed?: number; init?: number[][]; maxIterations?: number; skipSilhouette?: boolean } = {}): KmeansOutcome {
  const n = vectors.length;
  k = Math.max(1, Math.min(k, n, distinctCount(vectors, k)));
  if (k === 1) return single(vectors);
  const warm = opts.init && opts.init.length === k ? opts.init : undefined;
  const r = kmeans(vectors, k, {
    seed: opts.seed ?? DEFAULT_SEED,
    initialization: warm ?? 'kmeans++',
    maxIterations: opts.maxIterations ?? 100,
    tolerance: 1e-6,
  });
  const c = compactLabels(r.clusters);
  const centroids = new Array<number[]>(c.k);
  for (const [old, nu] of c.map) centroids[nu] = r.centroids[old];
  return {
    labels: c.labels,
    centroids,
    k: c.k,
    silhouette: opts.skipSilhouette ? 0 : silhouette(vectors, c.labels, sampleIndices(n, SILHOUETTE_SAMPLE, opts.seed ?? DEFAULT_SEED)),
    iterations: r.iterations,
  };
}

function single(vectors: number[][]): KmeansOutcome {
  const d = vectors[0]?.length ?? 0;
  const c = new Array<number>(d).fill(0);
  for (const v of vectors) for (let j = 0; j < d; j++) c[j] += v[j] / vectors.length;
  return { labels: vectors.map(() => 0), centroids: vectors.length ? [c] : [], k: vectors.length ? 1 : 0, silhouette: 0, iterations: 0 };
}

/** Sum of squared Euclidean distances to the cluster means (the k-means objective); for unit vectors n - Σ|S_c|²/n_c. */
export function inertia(vectors: number[][], labels: number[], k: number): number {
  const { sums, counts } = clusterSums(vectors, labels, k);
  let s = 0;
  for (const v of vectors) for (const x of v) s += x * x;
  sums.forEach((sum, c) => {
    if (counts[c]) s -= sum.reduce((a, x) => a + x * x, 0) / counts[c];
  });
  return s;
}

/** Mean vector of each label's members. */
export function centroidsOf(vectors: number[][], labels: number[], k: number): number[][] {
  const { sums, counts } = clusterSums(vectors, labels, k);
  return sums.map((s, c) => s.map((x) => x / Math.max(1, counts[c])));
}
