import type { ModelRuntime } from '../embedding/runtime';
import { looksLikeIdentifier } from '../index/tokenize';
import { fuseHybrid, HYBRID_FUSION, type Ranked } from '../search';
import { cosqaRankings, type CosqaSplit } from './cosqa';
import { rankOf, rounded, summarize, type Metrics } from './metrics';
import { ranksFor, type EvalQuery, type QueryLists } from './retrieval';
import { workspaceRankings } from './workspace';

/**
 * Compares hybrid fusion settings on tuning sets (a CoSQA split, optionally workspaces): the
 * product's normalized-score blend at several vector weights and depths, and weighted reciprocal
 * rank fusion (the product's earlier method) at several k and weights. Also says how the two
 * retrievers relate on each set: who finds what at rank 1, their overlap, and the ceiling of a
 * fusion that would pick the better retriever per query.
 */
export interface TuneSet {
  name: string;
  queries: EvalQuery[];
  lists: QueryLists[];
}

export interface TuneRow {
  method: 'blend' | 'rrf';
  params: Record<string, number>;
  /** Per set, in the order of `sets`. */
  mrr: number[];
  /** MRR gain over the better single retriever of each set. */
  gain: number[];
}

export interface Analysis {
  queries: number;
  bm25: Metrics;
  vector: Metrics;
  hybrid: Metrics;
  /** Queries whose relevant document each retriever ranks first / in its top 10 (both, only one, neither). */
  top1: { both: number; bm25Only: number; vectorOnly: number; neither: number };
  top10: { both: number; bm25Only: number; vectorOnly: number; neither: number };
  /** Mean number of documents the two top-10 lists share. */
  meanTop10Overlap: number;
  /** Queries whose relevant document BM25 does not match at all. */
  bm25Missing: number;
  identifierLikeQueries: number;
  /** Per query, the better of the two ranks: the ceiling of a fusion that picks a retriever per query. */
  oracle: Metrics;
}

/** Weighted reciprocal rank fusion, score = Σ wᵢ / (k + rankᵢ), for comparison. */
export function reciprocalRankFusion(lists: { hits: Ranked[]; weight: number }[], k: number): Ranked[] {
  const scores = new Map<number, number>();
  for (const { hits, weight } of lists) hits.forEach((h, r) => scores.set(h.id, (scores.get(h.id) ?? 0) + weight / (k + r + 1)));
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

function mrrOf(set: TuneSet, fuse: (query: string, lists: QueryLists) => Ranked[]): number {
  return summarize(set.queries.map((q, i) => rankOf(fuse(q.text, set.lists[i]), (r) => q.relevant.has(r.id)))).mrr;
}

export function tuneRows(sets: readonly TuneSet[]): TuneRow[] {
  const best = sets.map((s) => Math.max(summarize(ranksFor('bm25', s.queries, s.lists)).mrr, summarize(ranksFor('vector', s.queries, s.lists)).mrr));
  const rows: TuneRow[] = [];
  const add = (method: TuneRow['method'], params: Record<string, number>, fuse: (query: string, lists: QueryLists) => Ranked[]): void => {
    const mrr = sets.map((s) => mrrOf(s, fuse));
    const r4 = (x: number): number => Math.round(x * 10000) / 10000;
    rows.push({ method, params, mrr: mrr.map(r4), gain: mrr.map((m, i) => r4(m - best[i])) });
  };
  for (const depth of [50, 100, 200, 1000]) {
    for (const vectorWeight of [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]) {
      const params = { ...HYBRID_FUSION, vectorWeight, depth };
      add('blend', params, (q, l) => fuseHybrid(q, l.lexical, l.vector, params));
    }
    for (const k of [1, 3, 5, 10, 20, 60]) {
      for (const lexicalWeight of [0.25, 0.5, 0.75, 1]) {
        add('rrf', { depth, k, lexicalWeight }, (q, l) =>
          reciprocalRankFusion(
            [
              { hits: l.vector.slice(0, depth), weight: 1 },
              { hits: l.lexical.slice(0, depth), weight: looksLikeIdentifier(q) ? 2 : lexicalWeight },
            ],
            k,
          ),
        );
      }
    }
  }
  return rows;
}

export function analyse(set: TuneSet): Analysis {
  const { queries, lists } = set;
  const lex = ranksFor('bm25', queries, lists);
  const vec = ranksFor('vector', queries, lists);
  const tally = (k: number): Analysis['top1'] => {
    const t = { both: 0, bm25Only: 0, vectorOnly: 0, neither: 0 };
    lex.forEach((l, i) => {
      const a = l !== undefined && l <= k;
      const b = vec[i] !== undefined && vec[i]! <= k;
      if (a && b) t.both++;
      else if (a) t.bm25Only++;
      else if (b) t.vectorOnly++;
      else t.neither++;
    });
    return t;
  };
  let overlap = 0;
  for (const l of lists) {
    const v = new Set(l.vector.slice(0, 10).map((r) => r.id));
    overlap += l.lexical.slice(0, 10).filter((r) => v.has(r.id)).length;
  }
  return {
    queries: queries.length,
    bm25: rounded(summarize(lex)),
    vector: rounded(summarize(vec)),
    hybrid: rounded(summarize(ranksFor('hybrid', queries, lists))),
    top1: tally(1),
    top10: tally(10),
    meanTop10Overlap: Math.round((overlap / lists.length) * 100) / 100,
    bm25Missing: lex.filter((r) => r === undefined).length,
    identifierLikeQueries: queries.filter((q) => looksLikeIdentifier(q.text)).length,
    oracle: rounded(summarize(lex.map((l, i) => (l === undefined ? vec[i] : vec[i] === undefined ? l : Math.min(l, vec[i]!))))),
  };
}

export interface TuneReport {
  model: string;
  dtype: string;
  sets: string[];
  product: typeof HYBRID_FUSION;
  analysis: Record<string, Analysis>;
  /** The 15 settings with the best worst-case gain, then the 15 with the best mean gain. */
  bestWorstCase: TuneRow[];
  bestMean: TuneRow[];
  rows: TuneRow[];
}

/** Tunes on a CoSQA split (dev: tune there, report on test) and on the given workspace folders. */
export async function tuneFusion(
  dir: string,
  runtime: ModelRuntime,
  options: { split: CosqaSplit; workspaces?: readonly string[]; onProgress?: (phase: string, done: number, total: number) => void },
): Promise<TuneReport> {
  const cosqa = await cosqaRankings(dir, runtime, options);
  const sets: TuneSet[] = [{ name: `cosqa-${options.split}`, queries: cosqa.queries, lists: cosqa.lists }];
  for (const folder of options.workspaces ?? []) {
    const ws = await workspaceRankings(folder, runtime, { onProgress: options.onProgress });
    sets.push({ name: ws.root, queries: ws.queries, lists: ws.lists });
  }
  const rows = tuneRows(sets);
  const by = (f: (r: TuneRow) => number): TuneRow[] => [...rows].sort((a, b) => f(b) - f(a)).slice(0, 15);
  return {
    model: runtime.source.modelId,
    dtype: runtime.source.dtype,
    sets: sets.map((s) => s.name),
    product: HYBRID_FUSION,
    analysis: Object.fromEntries(sets.map((s) => [s.name, analyse(s)])),
    bestWorstCase: by((r) => Math.min(...r.gain)),
    bestMean: by((r) => r.gain.reduce((a, b) => a + b, 0) / r.gain.length),
    rows,
  };
}
