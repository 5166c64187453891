import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ChunkRecord, IndexStore } from './index/store';
import { looksLikeIdentifier } from './index/tokenize';
import { decodeLines } from './text';
import { applyStack } from './ranking/stack';
import type { ChunkSource } from './ranking/rules';
import { lastName } from './ranking/query';
import type { MatchQuality } from './ranking/floor';

export type SearchMode = 'hybrid' | 'vector' | 'bm25';

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  /** Ranking score: cosine similarity for vector search, BM25 for bm25, fused normalized score (0-1) for hybrid. */
  score: number;
  symbol?: string;
  preview: string;
  /** Chunk id inside the index (stable until the chunk changes). */
  id: number;
  /** Identical chunks elsewhere (vendored copies, licence headers) that this hit stands for. */
  duplicates?: { path: string; startLine: number; endLine: number }[];
  /**
   * How well the chunk matches the query for display, 0–1, calibrated on the model (src/core/ranking/floor.ts).
   * Set by `Engine.answer` when the model is calibrated; never a raw BM25 or fused score.
   */
  relevance?: number;
}

/** What the user-facing search returns: the hits and how far to trust them. */
export interface SearchAnswer {
  hits: SearchHit[];
  /** See MatchQuality: `none` means no chunk passed the relevance floor and `hits` are keyword (BM25) hits. */
  match: MatchQuality;
  /** Cosine similarity of the query to its nearest chunk (undefined without a model or vectors). */
  bestCosine?: number;
}

export interface Ranked {
  id: number;
  score: number;
  /** Ids of identical chunks this one stands for (set by the ranking stack). */
  duplicates?: number[];
  /** The lines to show when they are not the chunk's own (a fragment joined with its neighbour by the ranking stack). */
  lines?: { startLine: number; endLine: number };
  /** The name the query named that this chunk defines besides its own symbol (set by the ranking stack). */
  defines?: string;
}

/**
 * Fuses ranked lists by a weighted sum of min-max normalized scores: within each list the best hit
 * scores 1 and the last 0, so BM25 and cosine scales need no calibration, yet how far apart two
 * hits are still counts (unlike rank fusion). A hit absent from a list gets 0 from it.
 */
export function normalizedScoreFusion(lists: { hits: Ranked[]; weight: number }[]): Ranked[] {
  const scores = new Map<number, number>();
  for (const { hits, weight } of lists) {
    if (hits.length === 0) continue;
    const min = hits[hits.length - 1].score;
    const span = hits[0].score - min;
    for (const h of hits) scores.set(h.id, (scores.get(h.id) ?? 0) + weight * (span > 0 ? (h.score - min) / span : 1));
  }
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

function overlaps(a: ChunkRecord, b: { path: string; startLine: number; endLine: number }): boolean {
  return a.path === b.path && a.startLine <= b.endLine && b.startLine <= a.endLine;
}

/** Drops hits that overlap a better hit in the same file (line windows overlap by design). */
export function dedupeOverlapping(store: IndexStore, ranked: Ranked[], k: number): Ranked[] {
  const kept: { r: Ranked; c: ChunkRecord }[] = [];
  for (const r of ranked) {
    const c = store.chunks.get(r.id);
    if (!c) continue;
    if (kept.some((k2) => overlaps(k2.c, c))) continue;
    kept.push({ r, c });
    if (kept.length >= k) break;
  }
  return kept.map((x) => x.r);
}

export interface RankOptions {
  k: number;
  mode: SearchMode;
  /** Excludes chunks (e.g. the selection itself for find-similar). */
  filter?: (id: number) => boolean;
  /** Re-rank the fused candidates with the ranking stack (src/core/ranking). Default: on for hybrid search. */
  stack?: boolean;
  /** Stack rules to leave out (evaluation ablations). */
  disabledRules?: ReadonlySet<string>;
}

/** Candidates the ranking stack re-scores (it never looks further down the fused list). */
export const STACK_DEPTH = 200;

/** The ranking stack's view of an index: a few SQL look-ups per query, nothing per chunk in memory. */
export function storeSource(store: IndexStore, filter?: (id: number) => boolean): ChunkSource {
  return {
    fileChunks: (p) => store.chunksOfPath(p),
    definitions: (name, limit) =>
      store
        .chunksDefining(name, limit * 2)
        .filter((c) => (c.grouped || (c.symbol !== undefined && lastName(c.symbol) === name)) && (!filter || filter(c.id)))
        .slice(0, limit),
    hasFile: (p) => store.files.has(p),
    vector: (id) => store.vectorOf(id),
  };
}

/**
 * Ranks chunks for a query. Hybrid fuses BM25 and vector results; a query that looks like an
 * identifier, a path or a quoted string leans on BM25.
 */
export function rank(store: IndexStore, query: string, queryVector: Float32Array | undefined, options: RankOptions): Ranked[] {
  const depth = Math.max(options.mode === 'hybrid' ? HYBRID_FUSION.depth : 50, options.k * 5);
  const lexical = options.mode === 'vector' ? [] : store.lexical.search(query, depth, options.filter, { skipCommon: options.mode === 'hybrid' && !!queryVector });
  const vector = options.mode === 'bm25' || !queryVector ? [] : store.nearest(queryVector, depth, options.filter);
  let ranked: Ranked[];
  if (options.mode === 'bm25' || !queryVector) ranked = lexical;
  else if (options.mode === 'vector') ranked = vector;
  else ranked = fuseHybrid(query, lexical, vector);
  if (options.stack ?? options.mode === 'hybrid') {
    const top = ranked.slice(0, STACK_DEPTH);
    const records = store.chunksByIds(top.map((r) => r.id));
    const candidates = top.flatMap((r) => {
      const c = records.get(r.id);
      return c ? [{ ...c, score: r.score }] : [];
    });
    return applyStack(query, candidates, storeSource(store, options.filter), { k: options.k, disabled: options.disabledRules });
  }
  return dedupeOverlapping(store, ranked, options.k);
}

/** How hybrid search fuses its BM25 and vector lists. */
export interface FusionParams {
  /** Share of the vector score in the blend; BM25 gets the rest. */
  vectorWeight: number;
  /** The vector share for a query that looks like an identifier, a path or a quoted string (leans on BM25). */
  identifierVectorWeight: number;
  /** Hits taken from each list (scores are normalized over these). */
  depth: number;
}

/**
 * Chosen on CoSQA dev and on (doc comment -> function) pairs mined from this repository's src,
 * with all-MiniLM-L6-v2 int8: see docs/model-eval.md (`kindred eval tune`). The identifier
 * weight is not measured there (neither set has such queries): it keeps BM25's 2:1 lead.
 */
export const HYBRID_FUSION: FusionParams = { vectorWeight: 0.7, identifierVectorWeight: 0.35, depth: 200 };

/**
 * Hybrid ranking of one query from its BM25 and vector lists (best first). The product's search
 * and the evaluation harness both rank through this function.
 */
export function fuseHybrid(query: string, lexical: Ranked[], vector: Ranked[], params: FusionParams = HYBRID_FUSION): Ranked[] {
  const vectorWeight = looksLikeIdentifier(query) ? params.identifierVectorWeight : params.vectorWeight;
  return normalizedScoreFusion([
    { hits: vector.slice(0, params.depth), weight: vectorWeight },
    { hits: lexical.slice(0, params.depth), weight: 1 - vectorWeight },
  ]);
}

/** Turns ranked ids into hits with a one-line preview read from the file. */
export async function toHits(store: IndexStore, root: string, ranked: Ranked[]): Promise<SearchHit[]> {
  const found = ranked.flatMap((r) => {
    const c = store.chunks.get(r.id);
    return c ? [{ r, c }] : [];
  });
  // Every file read once and all at once; only the hits' lines are decoded (as the indexer decodes them).
  const files = new Map<string, Promise<Buffer | undefined>>();
  for (const { c } of found) {
    if (!files.has(c.path)) files.set(c.path, fs.readFile(path.join(root, c.path)).catch(() => undefined));
  }
  const bytes = new Map(await Promise.all([...files].map(async ([rel, p]) => [rel, await p] as const)));
  return found.map(({ r, c }) => {
    const buf = bytes.get(c.path);
    const duplicates = (r.duplicates ?? []).flatMap((id) => {
      const d = store.chunks.get(id);
      return d ? [{ path: d.path, startLine: d.startLine, endLine: d.endLine }] : [];
    });
    const { startLine, endLine } = r.lines ?? c;
    const lines = buf && decodeLines(buf, startLine, endLine);
    // A hit found by a name its chunk defines besides its own symbol is labelled and previewed by that name.
    const symbol = r.defines ? (c.symbol ? `${c.symbol}${c.symbol.includes('::') ? '::' : '.'}${r.defines}` : r.defines) : c.symbol;
    return {
      path: c.path,
      startLine,
      endLine,
      score: Math.round(r.score * 10000) / 10000,
      ...(symbol ? { symbol } : {}),
      preview: previewOf(lines && r.defines ? fromWord(lines, r.defines) : lines),
      id: c.id,
      ...(duplicates.length ? { duplicates } : {}),
    };
  });
}

/** The lines from the first one holding `word` as a whole name on (all of them when none does). */
function fromWord(lines: string[], word: string): string[] {
  const re = new RegExp(`(?<![\\w$])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w$])`);
  const i = lines.findIndex((l) => re.test(l));
  return i > 0 ? lines.slice(i) : lines;
}

/** First meaningful line of the range (`lines` are the range's lines), trimmed to 160 characters. */
function previewOf(lines: string[] | undefined): string {
  if (!lines) return '';
  let fallback = '';
  for (const line of lines) {
    const t = line.trim();
    if (!t) continue;
    fallback ||= t;
    // Skip lines that are only punctuation or comment openers.
    if (/^[\s{}()[\];,/*#-]*$/.test(t)) continue;
    return t.length > 160 ? `${t.slice(0, 157)}...` : t;
  }
  return fallback.slice(0, 160);
}
