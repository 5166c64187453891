import { buildTree, cutTree } from './hierarchical';
import { centroidsOf, DEFAULT_SEED, inertia, K_SELECTION_SAMPLE, kmeansFixed, kRange, type KmeansOutcome } from './kmeans';
import { compactLabels, distinctCount, sampleIndices } from './vecmath';

/**
 * k-means with k chosen by the best mean silhouette (cosine) over kRange. Selection runs on a seeded
 * sample of at most K_SELECTION_SAMPLE points; the winner's centroids then warm-start k-means over
 * all points.
 *
 * For each k, two runs: seeded k-means++ (ml-kmeans), and k-means started from the centroids of the
 * sample's average-linkage tree cut at k; the one with the lower k-means objective is kept. In
 * 384 dimensions with noisy clusters, k-means++ alone often lands in a local optimum (two centres in
 * one cluster, two clusters sharing one), which would make silhouette pick the wrong k; the tree
 * start costs one agnes on ≤ 400 points and a few Lloyd iterations per k.
 */
export function kmeansAuto(vectors: number[][], opts: { seed?: number; minK?: number; maxK?: number; sampleSize?: number } = {}): KmeansOutcome {
  const n = vectors.length;
  if (n < 3) return kmeansFixed(vectors, n < 2 ? 1 : 2, { seed: opts.seed });
  const [lo, hi] = kRange(Math.min(n, opts.sampleSize ?? K_SELECTION_SAMPLE), opts.maxK);
  const ks: number[] = [];
  for (let k = Math.max(lo, opts.minK ?? 2); k <= hi; k++) ks.push(k);
  return search(vectors, ks, opts);
}

/** k-means with a given k, the same way: best of k-means++ and the tree start on a sample, then refined on all points. */
export function kmeansWithK(vectors: number[][], k: number, opts: { seed?: number; sampleSize?: number } = {}): KmeansOutcome {
  const n = vectors.length;
  if (n < 3 || k <= 1 || k >= n) return kmeansFixed(vectors, k, { seed: opts.seed });
  const { candidates: _omit, ...r } = search(vectors, [k], opts);
  return r;
}

function search(vectors: number[][], ks: number[], opts: { seed?: number; sampleSize?: number }): KmeansOutcome {
  const n = vectors.length;
  const seed = opts.seed ?? DEFAULT_SEED;
  const sampleIdx = sampleIndices(n, opts.sampleSize ?? K_SELECTION_SAMPLE, seed);
  const sample = sampleIdx.map((i) => vectors[i]);
  const distinct = distinctCount(sample, Math.max(...ks));
  const tree = buildTree(sample, { seed }).tree;
  const candidates: { k: number; silhouette: number }[] = [];
  let best: KmeansOutcome | undefined;
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
  }
  if (!best) return { ...kmeansFixed(vectors, Math.min(ks[0], distinct), { seed }), candidates };
  if (sample.length === n) return { ...best, candidates };
  const full = kmeansFixed(vectors, best.k, { seed, init: best.centroids, maxIterations: 30 });
  return { ...full, candidates };
}
