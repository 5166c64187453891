/**
 * Retrieval metrics for one relevant document per query. A rank is 1-based; `undefined` means
 * the relevant document was not retrieved (or was ranked past the cutoff).
 */

/** MRR cutoff used by CoSQA's scorer: a document ranked past 1000 scores 0. */
export const MRR_CUTOFF = 1000;

export interface Metrics {
  mrr: number;
  'recall@1': number;
  'recall@5': number;
  'recall@10': number;
  'ndcg@10': number;
}

/** 1-based position of the first id in `ranking` that `isRelevant` accepts, or undefined. */
export function rankOf<T>(ranking: readonly T[], isRelevant: (item: T) => boolean): number | undefined {
  const i = ranking.findIndex(isRelevant);
  return i < 0 ? undefined : i + 1;
}

export function reciprocalRank(rank: number | undefined, cutoff = MRR_CUTOFF): number {
  return rank !== undefined && rank <= cutoff ? 1 / rank : 0;
}

export function recallAt(rank: number | undefined, k: number): number {
  return rank !== undefined && rank <= k ? 1 : 0;
}

/** nDCG@k with a single relevant document: the ideal DCG is 1, so it is 1/log2(rank + 1) within k. */
export function ndcgAt(rank: number | undefined, k: number): number {
  return rank !== undefined && rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

/** Averages the metrics over queries, given each query's rank of its relevant document. */
export function summarize(ranks: readonly (number | undefined)[], cutoff = MRR_CUTOFF): Metrics {
  const mean = (f: (r: number | undefined) => number): number => {
    let sum = 0;
    for (const r of ranks) sum += f(r);
    return ranks.length ? sum / ranks.length : 0;
  };
  return {
    mrr: mean((r) => reciprocalRank(r, cutoff)),
    'recall@1': mean((r) => recallAt(r, 1)),
    'recall@5': mean((r) => recallAt(r, 5)),
    'recall@10': mean((r) => recallAt(r, 10)),
    'ndcg@10': mean((r) => ndcgAt(r, 10)),
  };
}

/** Rounds every metric to 4 decimals for reports. */
export function rounded(m: Metrics): Metrics {
  const r = (x: number): number => Math.round(x * 10000) / 10000;
  return { mrr: r(m.mrr), 'recall@1': r(m['recall@1']), 'recall@5': r(m['recall@5']), 'recall@10': r(m['recall@10']), 'ndcg@10': r(m['ndcg@10']) };
}
