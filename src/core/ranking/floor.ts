/**
 * The relevance floor: whether a query has any good semantic match in the index at all, so search can say
 * "no good match — showing keyword hits" instead of listing the least bad chunks as if they answered.
 * Hybrid scores cannot tell: they are min-max normalised per query, so the best hit of a nonsense query
 * scores 1 like any other. The raw cosine similarity of the query to its nearest chunk can.
 *
 * Measured with `node scripts/measure-floor.mjs` (all-MiniLM-L6-v2 int8; 2026-11-28): 117 real queries (the 99
 * labelled queries of the five repositories in ../shared/eval/repos and 18 on the two test fixtures) against
 * 20 nonsense or off-topic queries ("xkcd qwrtz blorf", "recipe for chocolate chip cookies", "how tall is mount
 * everest", ...) on each of the 7 corpora (140):
 *
 *   best cosine   min    p05    p10    p25    p50    max
 *   real          0.386  0.453  0.485  0.530  0.582  0.763
 *   nonsense      0.061  0.108  0.122  0.146  0.178  0.456
 *
 * A floor of 0.35 refuses no real query (the lowest, "how the web application sets up and tears down on
 * startup" on aiohttp, is 0.386) and lets 3 of 140 nonsense queries through: "recipe for chocolate chip
 * cookies" on aiohttp (0.456) and Express (0.417), which both handle HTTP cookies, and one gibberish query on
 * commons-lang (0.366). How far the best chunk stands above the 10th–50th (`gap`) separates worse (real p10
 * 0.076, nonsense p75 0.101) and is not used.
 *
 * Cosine scales differ between models (bge and arctic put unrelated texts near 0.5), so a floor is only
 * applied to the models it was measured on; other models get `unmeasured` and no floor.
 */

/** What the floor looks at: the best raw cosine and how far it stands above the next ones. */
export interface MatchFeatures {
  /** Cosine similarity of the query to its nearest chunk. */
  best: number;
  /** best − mean cosine of the 10th to 50th nearest chunks (how much the best stands out). */
  gap: number;
}

/** Features of a query from its nearest chunks' cosine similarities, best first. */
export function matchFeatures(cosines: readonly number[]): MatchFeatures {
  if (cosines.length === 0) return { best: 0, gap: 0 };
  const best = cosines[0];
  const tail = cosines.slice(9, 50);
  const mean = tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : best;
  return { best, gap: best - mean };
}

/** Per model: the floor (below it no chunk is a good match) and a cosine that counts as a strong match (real queries' p75). */
export interface Calibration {
  floor: number;
  strong: number;
}

/** Models the floor was measured on (both precisions: int8 and fp32 cosines differ by < 0.01). */
export const CALIBRATIONS: Readonly<Record<string, Calibration>> = {
  'Xenova/all-MiniLM-L6-v2': { floor: 0.35, strong: 0.66 },
};

export function calibrationFor(modelId: string): Calibration | undefined {
  return CALIBRATIONS[modelId];
}

/**
 * How well a search matched:
 * - `good`: the best chunk is above the model's floor; the hybrid ranking is shown.
 * - `none`: nothing is above the floor; keyword (BM25) hits are shown instead, if any.
 * - `unmeasured`: the model has no measured floor; the hybrid ranking is shown.
 * - `keyword-only`: no model is loaded; keyword hits only.
 */
export type MatchQuality = 'good' | 'none' | 'unmeasured' | 'keyword-only';

/** The verdict for a query whose nearest chunk has cosine `best` (undefined: an empty vector index). */
export function judgeMatch(modelId: string, best: number | undefined): MatchQuality {
  const c = calibrationFor(modelId);
  if (!c) return 'unmeasured';
  return best !== undefined && best >= c.floor ? 'good' : 'none';
}

/**
 * A hit's relevance on a 0–1 scale for a bar: 0 at the floor or below, 1 at a strong match, linear between.
 * Undefined when the model is not calibrated (nothing honest to show).
 */
export function relevanceOf(modelId: string, cosine: number): number | undefined {
  const c = calibrationFor(modelId);
  if (!c) return undefined;
  const r = (cosine - c.floor) / (c.strong - c.floor);
  return Math.round(Math.min(1, Math.max(0, r)) * 100) / 100;
}

/** Cosine similarity of two normalised vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
