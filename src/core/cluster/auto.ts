import { buildTree, cutTree } from './hierarchical';
import { centroidsOf, DEFAULT_SEED, inertia, K_SELECTION_SAMPLE, kmeansFixed, kRange, type KmeansOutcome } from './kmeans';
import { silhouette } from './silhouette';
import { compactLabels, distinctCount, sampleIndices } from './vecmath';

export interface AutoOptions {
  seed?: number;
  minK?: number;
  maxK?: number;
  sampleSize?: number;
  /**
   * Largest share of the points one cluster may hold (e.g. 0.5). A candidate k whose clustering has a
   * bigger cluster is passed over; when every candidate has one, the best is kept and its biggest
   * clusters are split in two (bisecting k-means) until none is too big.
   */
  maxShare?: number;
  /** Pass over a candidate k with a cluster smaller than this (as maxShare; no splitting or merging afterwards). */
  minSize?: number;
}

/**
 * k-means with k chosen by the best mean silhouette (cosine) over kRange (or [minK, maxK]). Selection
 * runs on a seeded sample of at most K_SELECTION_SAMPLE points; the winner's centroids then warm-start
 * k-means over all points.
 *
 * For each k, two runs: seeded k-means++ (ml-kmeans), and k-means started from the centroids of the
 * sample's average-linkage tree cut at k; the one with the lower k-means objective is kept. In
 * 384 dimensions with noisy clusters, k-means++ alone often lands in a local optimum (two centres in
 * one cluster, two clusters sharing one), which would make silhouette pick the wrong k; the tree
 * start costs one agnes on ≤ 400 points and a few Lloyd iterations per k.
 */
export function kmeansAuto(vectors: number[][], opts: AutoOptions = {}): KmeansOutcome {
  const n = vectors.length;
  if (n < 3) return kmeansFixed(vectors, n < 2 ? 1 : 2, { seed: opts.seed });
  const [lo, hi] = kRange(Math.min(n, opts.sampleSize ?? K_SELECTION_SAMPLE), opts.maxK);
  const ks: number[] = [];
  for (let k = Math.max(lo, opts.minK ?? 2); k <= Math.max(hi, opts.minK ?? 2) && k < n; k++) ks.push(k);
  if (!ks.length) ks.push(Math.min(n - 1, Math.max(2, opts.minK ?? 2)));
  const r = search(vectors, ks, opts);
  return opts.maxShare !== undefined ? capShare(vectors, r, opts.maxShare, opts.seed ?? DEFAULT_SEED) : r;
}

/** k-means with a given k, the same way: best of k-means++ and the tree start on a sample, then refined on all points. */
export function kmeansWithK(vectors: number[][], k: number, opts: { seed?: number; sampleSize?: number } = {}): KmeansOutcome {
  const n = vectors.length;
  if (n < 3 || k <= 1 || k >= n) return kmeansFixed(vectors, k, { seed: opts.seed });
  const { candidates: _omit, ...r } = search(vectors, [k], opts);
  return r;
}

/** The size of the largest cluster over the number of points. */
export function largestShare(labels: readonly number[]): number {
  if (!labels.length) return 0;
  const counts = new Map<number, number>();
  let max = 0;
  for (const l of labels) {
    const c = (counts.get(l) ?? 0) + 1;
    counts.set(l, c);
    if (c > max) max = c;
  }
  return max / labels.length;
}

function smallestSize(labels: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return Math.min(...counts.values());
}

/**
 * Splits clusters holding more than `maxShare` of the points in two (2-means on their members,
 * seeded), largest first, until none does or a split leaves the cluster whole (identical points).
 * Centroids and silhouette are recomputed.
 */
export function capShare(vectors: number[][], r: KmeansOutcome, maxShare: number, seed = DEFAULT_SEED): KmeansOutcome {
  const n = vectors.length;
  const labels = [...r.labels];
  let k = r.k;
  const limit = Math.max(1, Math.floor(maxShare * n));
  for (let guard = 0; guard < n; guard++) {
    const counts = new Array<number>(k).fill(0);
    for (const l of labels) counts[l]++;
    const big = counts.indexOf(Math.max(...counts));
    if (counts[big] <= limit) break;
    const members = labels.map((l, i) => (l === big ? i : -1)).filter((i) => i >= 0);
    const halves = kmeansFixed(members.map((i) => vectors[i]), 2, { seed, skipSilhouette: true });
    if (halves.k < 2) break;
    members.forEach((i, j) => {
      if (halves.labels[j] === 1) labels[i] = k;
    });
    k++;
  }
  if (k === r.k) return r;
  return { ...r, labels, k, centroids: centroidsOf(vectors, labels, k), silhouette: silhouette(vectors, labels, sampleIndices(n, 2000, seed)) };
}

function search(vectors: number[][], ks: number[], opts: AutoOptions): KmeansOutcome {
  const n = vectors.length;
  const seed = opts.seed ?? DEFAULT_SEED;
  const sampleIdx = sampleIndices(n, opts.sampleSize ?? K_SELECTION_SAMPLE, seed);
  const sample = sampleIdx.map((i) => vectors[i]);
  const distinct = distinctCount(sample, Math.max(...ks));
  const tree = buildTree(sample, { seed }).tree;
  const candidates: { k: number; silhouette: number }[] = [];
  let best: KmeansOutcome | undefined;
  let bestCapped: KmeansOutcome | undefined;
  const constrained = opts.maxShare !== undefined || opts.minSize !== undefined;
  const acceptable = (labels: number[]): boolean =>
    (opts.maxShare === undefined || largestShare(labels) <= opts.maxShare) && (opts.minSize === undefined || smallestSize(labels) >= opts.minSize);
  for (const k of ks) {
    if (k > distinct || k > sample.length) break;
    let r = kmeansFixed(sample, k, { seed, maxIterations: 50 });
    const cut = compactLabels(cutTree(tree, k));
    if (cut.k === k) {
      const fromTree = kmeansFixed(sample, k, { seed, init: centroidsOf(sample, cut.labels, k), maxIterations: 50 });
      if (inertia(sample, fromTree.labels, fromTree.k) < inertia(sample, r.labels, r.k) - 1e-9) r = fromTree;
    }
    candidates.push({ k, silhouette: Math.round(r.silhouette * 1e4) / 1e4 });
    // Ties (within 1e-4) go to the smaller k.
    if (!best || r.silhouette > best.silhouette + 1e-4) best = r;
    if (constrained && acceptable(r.labels) && (!bestCapped || r.silhouette > bestCapped.silhouette + 1e-4)) bestCapped = r;
  }
  const chosen = bestCapped ?? best;
  if (!chosen) return { ...kmeansFixed(vectors, Math.min(ks[0], distinct), { seed }), candidates };
  if (sample.length === n) return { ...chosen, candidates };
  const full = kmeansFixed(vectors, chosen.k, { seed, init: chosen.centroids, maxIterations: 30 });
  return { ...full, candidates };
}
