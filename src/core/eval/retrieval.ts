import type { ModelRuntime } from '../embedding/runtime';
import { LexicalIndex, type LexicalDoc } from '../index/lexical';
import { fuseHybrid, HYBRID_FUSION, STACK_DEPTH, type FusionParams, type Ranked } from '../search';
import { lastName } from '../ranking/query';
import type { ChunkInfo, ChunkSource } from '../ranking/rules';
import { applyStack } from '../ranking/stack';
import { nearestRows, type VectorMatrix } from './embed';
import { MRR_CUTOFF, rankOf, rounded, summarize, type Metrics } from './metrics';

export type EvalMode = 'bm25' | 'vector' | 'hybrid' | 'hybrid+stack';
export const EVAL_MODES: readonly EvalMode[] = ['bm25', 'vector', 'hybrid', 'hybrid+stack'];

/** The documents of a corpus as the ranking stack sees them (an empty path stands for a file of its own). */
export interface StackCorpus {
  info: ReadonlyMap<number, ChunkInfo>;
  source: ChunkSource;
}

/** Documents without lines (CoSQA functions) stand for a file of their own; chunks of a file keep their lines. */
export function stackCorpus(docs: readonly (LexicalDoc & { startLine?: number; endLine?: number })[]): StackCorpus {
  const info = new Map<number, ChunkInfo>();
  const bySymbol = new Map<string, ChunkInfo[]>();
  const byPath = new Map<string, ChunkInfo[]>();
  for (const d of docs) {
    const c: ChunkInfo = { id: d.id, path: d.path || `#${d.id}`, startLine: d.startLine ?? 1, endLine: d.endLine ?? 1, hash: `#${d.id}`, ...(d.symbol ? { symbol: d.symbol } : {}) };
    info.set(d.id, c);
    if (d.symbol) bySymbol.set(lastName(d.symbol), [...(bySymbol.get(lastName(d.symbol)) ?? []), c]);
    byPath.set(c.path, [...(byPath.get(c.path) ?? []), c]);
  }
  return {
    info,
    source: { fileChunks: (p) => byPath.get(p) ?? [], definitions: (name, limit) => (bySymbol.get(name) ?? []).slice(0, limit), hasFile: (p) => byPath.has(p) },
  };
}

/** A query and the ids of the documents that answer it (CoSQA: exactly one). */
export interface EvalQuery {
  text: string;
  relevant: ReadonlySet<number>;
}

/** One query's BM25 and vector lists over the whole corpus, best first, cut at `depth`. */
export interface QueryLists {
  lexical: Ranked[];
  /** The keyword list hybrid search fuses (common terms left out, as the product does); default `lexical`. */
  fusionLexical?: Ranked[];
  vector: Ranked[];
}

/** Search text for the lexical index, as the product stores a chunk (text, path, symbol). */
export function lexicalIndexOf(docs: readonly LexicalDoc[]): LexicalIndex {
  const index = LexicalIndex.empty();
  index.add([...docs]);
  return index;
}

/**
 * Ranks the whole corpus for every query, with the product's BM25 index and exact cosine
 * similarity over the document vectors (row i of `vectors` is `docs[i]`).
 */
export async function retrieve(
  runtime: ModelRuntime | undefined,
  docs: readonly LexicalDoc[],
  vectors: VectorMatrix | undefined,
  queries: readonly EvalQuery[],
  options: { depth?: number; onProgress?: (done: number, total: number) => void; mapQuery?: (v: Float32Array) => Float32Array } = {},
): Promise<QueryLists[]> {
  const depth = options.depth ?? MRR_CUTOFF;
  const lexical = lexicalIndexOf(docs);
  let done = 0;
  return Promise.all(
    queries.map(async (q) => {
      const vector: Ranked[] = [];
      if (runtime && vectors) {
        const raw = await runtime.embedQuery(q.text);
        const qv = options.mapQuery ? options.mapQuery(raw) : raw;
        for (const r of nearestRows(vectors, qv, depth)) vector.push({ id: docs[r.index].id, score: r.score });
      }
      options.onProgress?.(++done, queries.length);
      return { lexical: lexical.search(q.text, depth), fusionLexical: lexical.search(q.text, depth, undefined, { skipCommon: true }), vector };
    }),
  );
}

/** A mode's ranking for one query; hybrid goes through the product's fusion. */
export function rankingFor(mode: EvalMode, query: string, lists: QueryLists, fusion: FusionParams = HYBRID_FUSION, corpus?: StackCorpus): Ranked[] {
  if (mode === 'bm25') return lists.lexical;
  if (mode === 'vector') return lists.vector;
  const fused = fuseHybrid(query, lists.fusionLexical ?? lists.lexical, lists.vector, fusion);
  if (mode === 'hybrid') return fused;
  if (!corpus) throw new Error('hybrid+stack needs the corpus');
  const candidates = fused.slice(0, STACK_DEPTH).flatMap((r) => {
    const c = corpus.info.get(r.id);
    return c ? [{ ...c, score: r.score }] : [];
  });
  // Ranks past the stack's depth keep the fused order, so MRR still sees the whole list.
  const top = applyStack(query, candidates, corpus.source, { k: STACK_DEPTH });
  const seen = new Set(top.map((r) => r.id));
  return [...top, ...fused.filter((r) => !seen.has(r.id))];
}

/** Rank (1-based) of the first relevant document in each query's ranking for `mode`. */
export function ranksFor(mode: EvalMode, queries: readonly EvalQuery[], lists: readonly QueryLists[], fusion?: FusionParams, corpus?: StackCorpus): (number | undefined)[] {
  return queries.map((q, i) => rankOf(rankingFor(mode, q.text, lists[i], fusion, corpus), (r) => q.relevant.has(r.id)));
}

export function scoreModes(
  modes: readonly EvalMode[],
  queries: readonly EvalQuery[],
  lists: readonly QueryLists[],
  fusion?: FusionParams,
  corpus?: StackCorpus,
): Partial<Record<EvalMode, Metrics>> {
  const out: Partial<Record<EvalMode, Metrics>> = {};
  for (const mode of modes) out[mode] = rounded(summarize(ranksFor(mode, queries, lists, fusion, corpus)));
  return out;
}
