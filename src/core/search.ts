import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ChunkRecord, IndexStore } from './index/store';
import { looksLikeIdentifier } from './index/tokenize';

export type SearchMode = 'hybrid' | 'vector' | 'bm25';

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  /** Ranking score: cosine similarity for vector search, BM25 for bm25, fused rank score for hybrid. */
  score: number;
  symbol?: string;
  preview: string;
  /** Chunk id inside the index (stable until the chunk changes). */
  id: number;
}

export interface Ranked {
  id: number;
  score: number;
}

/** Reciprocal rank fusion constant (the usual 60). */
const RRF_K = 60;

/**
 * Fuses ranked lists by weighted reciprocal rank: score = Σ wᵢ / (k + rankᵢ).
 * Rank-based, so BM25 and cosine scales never need calibrating.
 */
export function reciprocalRankFusion(lists: { hits: Ranked[]; weight: number }[], k = RRF_K): Ranked[] {
  const scores = new Map<number, number>();
  for (const { hits, weight } of lists) {
    hits.forEach((h, rank) => scores.set(h.id, (scores.get(h.id) ?? 0) + weight / (k + rank + 1)));
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
}

/**
 * Ranks chunks for a query. Hybrid fuses BM25 and vector results; a query that looks like an
 * identifier, a path or a quoted string leans on BM25.
 */
export function rank(store: IndexStore, query: string, queryVector: Float32Array | undefined, options: RankOptions): Ranked[] {
  const depth = Math.max(50, options.k * 5);
  const lexical = options.mode === 'vector' ? [] : store.lexical.search(query, depth, options.filter);
  const vector = options.mode === 'bm25' || !queryVector ? [] : store.nearest(queryVector, depth, options.filter);
  let ranked: Ranked[];
  if (options.mode === 'bm25' || !queryVector) ranked = lexical;
  else if (options.mode === 'vector') ranked = vector;
  else {
    const lexicalWeight = looksLikeIdentifier(query) ? 2 : 1;
    ranked = reciprocalRankFusion([
      { hits: vector, weight: 1 },
      { hits: lexical, weight: lexicalWeight },
    ]);
  }
  return dedupeOverlapping(store, ranked, options.k);
}

/** Turns ranked ids into hits with a one-line preview read from the file. */
export async function toHits(store: IndexStore, root: string, ranked: Ranked[]): Promise<SearchHit[]> {
  const fileLines = new Map<string, Promise<string[] | undefined>>();
  const linesOf = (rel: string): Promise<string[] | undefined> => {
    let p = fileLines.get(rel);
    if (!p) {
      p = fs.readFile(path.join(root, rel), 'utf8').then(
        (t) => t.split(/\r?\n/),
        () => undefined,
      );
      fileLines.set(rel, p);
    }
    return p;
  };
  const hits: SearchHit[] = [];
  for (const r of ranked) {
    const c = store.chunks.get(r.id);
    if (!c) continue;
    const lines = await linesOf(c.path);
    hits.push({
      path: c.path,
      startLine: c.startLine,
      endLine: c.endLine,
      score: Math.round(r.score * 10000) / 10000,
      ...(c.symbol ? { symbol: c.symbol } : {}),
      preview: previewOf(lines, c.startLine, c.endLine),
      id: c.id,
    });
  }
  return hits;
}

/** First meaningful line of the range, trimmed to 160 characters. */
function previewOf(lines: string[] | undefined, start: number, end: number): string {
  if (!lines) return '';
  let fallback = '';
  for (let i = start - 1; i < Math.min(end, lines.length); i++) {
    const t = lines[i].trim();
    if (!t) continue;
    fallback ||= t;
    // Skip lines that are only punctuation or comment openers.
    if (/^[\s{}()[\];,/*#-]*$/.test(t)) continue;
    return t.length > 160 ? `${t.slice(0, 157)}...` : t;
  }
  return fallback.slice(0, 160);
}
