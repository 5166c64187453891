/** Small vector helpers shared by the clustering code. Vectors are plain number[] (what the ml-* libraries take). */

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Returns a unit-length copy (a zero vector stays zero). */
export function normalized(v: ArrayLike<number>): number[] {
  const n = Math.sqrt(dot(v, v));
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = n > 0 ? v[i] / n : 0;
  return out;
}

/** Mean of vectors, re-normalized to unit length (the file vector from its chunk vectors). */
export function meanNormalized(vs: ArrayLike<number>[]): number[] {
  const d = vs[0].length;
  const sum = new Array<number>(d).fill(0);
  for (const v of vs) for (let i = 0; i < d; i++) sum[i] += v[i];
  return normalized(sum);
}

/** Per-cluster vector sums and sizes, for labels 0..k-1. */
export function clusterSums(vectors: number[][], labels: ArrayLike<number>, k: number): { sums: number[][]; counts: number[] } {
  const d = vectors.length ? vectors[0].length : 0;
  const sums = Array.from({ length: k }, () => new Array<number>(d).fill(0));
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < vectors.length; i++) {
    const c = labels[i];
    counts[c]++;
    const s = sums[c];
    const v = vectors[i];
    for (let j = 0; j < d; j++) s[j] += v[j];
  }
  return { sums, counts };
}

/** A small seeded PRNG (mulberry32): the same seed always gives the same clustering. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `m` distinct indices of 0..n-1 (all of them when m >= n), chosen by seed, in increasing order. */
export function sampleIndices(n: number, m: number, seed: number): number[] {
  if (m >= n) return Array.from({ length: n }, (_, i) => i);
  const rnd = seededRandom(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rnd() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, m).sort((a, b) => a - b);
}

/** Relabels to 0..k'-1 in order of first appearance, dropping unused labels. */
export function compactLabels(labels: ArrayLike<number>): { labels: number[]; k: number; map: Map<number, number> } {
  const map = new Map<number, number>();
  const out = new Array<number>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let c = map.get(labels[i]);
    if (c === undefined) map.set(labels[i], (c = map.size));
    out[i] = c;
  }
  return { labels: out, k: map.size, map };
}

/** Number of distinct vectors (up to `limit`), to keep k below it. */
export function distinctCount(vectors: number[][], limit: number): number {
  const seen = new Set<string>();
  for (const v of vectors) {
    seen.add(v.slice(0, 16).map((x) => x.toFixed(6)).join(','));
    if (seen.size >= limit) break;
  }
  return seen.size;
}
