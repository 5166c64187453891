/**
 * Retrieval-augmented generation context packing: the best chunks for a question with their full
 * text, overlapping and adjacent hits merged, identical chunks kept once, grouped by file and cut to
 * a token budget counted with the model's tokenizer. `kindred context` and the MCP `context` tool
 * both call `packContext`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import { approximateTokens } from './embedding/approximate';
import type { Engine } from './engine';
import { KindredError } from './errors';
import type { SearchHit, SearchMode } from './search';
import { decodeText } from './text';

export const DEFAULT_CONTEXT_BUDGET = 4000;

/** Hits this many lines apart (or closer) in one file become one block; so do hits separated only by blank lines. */
const ADJACENT_GAP = 1;

function touching(lines: readonly string[], a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  const [first, second] = a.start <= b.start ? [a, b] : [b, a];
  if (second.start <= first.end + ADJACENT_GAP + 1) return true;
  for (let i = first.end; i < second.start - 1; i++) if (lines[i]?.trim()) return false;
  return true;
}

export interface ContextBlock {
  path: string;
  startLine: number;
  endLine: number;
  /** Symbols of the hits merged into this block, best first. */
  symbols: string[];
  /** Best score among the merged hits. */
  score: number;
  /** Rank (0 = best) of the best hit in this block. */
  rank: number;
  /** Tokens of the rendered block (header, fence and code). */
  tokens: number;
  text: string;
}

export interface PackedContext {
  question: string;
  budget: number;
  /** Tokens of `text`, counted with the model's tokenizer (an approximation when no model is loaded). */
  tokens: number;
  tokenizer: 'model' | 'approximate';
  /** Blocks in output order: files by their best hit, blocks within a file by line. */
  blocks: ContextBlock[];
  /** The rendered context: each block headed by `path:start-end (symbol)`, code in a fence. */
  text: string;
  /** Search hits considered. */
  considered: number;
  /** Hits left out because the budget was spent. */
  omitted: number;
  /** Hits whose text was identical to a hit already packed (kept once). */
  duplicates: { path: string; startLine: number; endLine: number; sameAs: string }[];
  /** True when the first hit alone exceeded the budget and was cut. */
  truncated: boolean;
}

export interface PackOptions {
  budget?: number;
  /** Search hits to consider; default grows with the budget (8 to 50). */
  candidates?: number;
  mode?: SearchMode;
  /** Only files matching this folder or gitignore-style glob (relative to the folder). */
  path?: string;
}

/**
 * A filter for relative paths: a folder (`src/core`), a file or a gitignore-style glob (`*.ts`,
 * `src/** /test_*.py`). Undefined for an empty spec.
 */
export function pathFilter(spec: string | undefined): ((rel: string) => boolean) | undefined {
  const s = spec?.trim().replace(/^\.\//, '').replace(/\\/g, '/');
  if (!s || s === '.' || s === '/') return undefined;
  let ig;
  try {
    ig = ignore().add(s);
  } catch (e) {
    throw new KindredError('bad-argument', `"${spec}" is not a valid path or glob (${(e as Error).message}).`);
  }
  return (rel) => ig.ignores(rel);
}

/** Searches within a path filter (folders, files, gitignore-style globs; see pathFilter). */
export async function searchFiltered(engine: Engine, query: string, opts: { k: number; mode?: SearchMode; path?: string }): Promise<SearchHit[]> {
  return engine.search(query, { k: opts.k, mode: opts.mode, keep: pathFilter(opts.path) });
}

/** Reads files once per call, decoded as the indexer decodes them. */
export class LineCache {
  private readonly files = new Map<string, Promise<string[] | undefined>>();
  constructor(private readonly root: string) {}

  lines(rel: string): Promise<string[] | undefined> {
    let p = this.files.get(rel);
    if (!p) {
      p = fs.readFile(path.join(this.root, rel)).then(
        (b) => decodeText(b)?.split(/\r?\n/),
        () => undefined,
      );
      this.files.set(rel, p);
    }
    return p;
  }

  /** Up to `maxLines` lines of a hit (leading blank lines dropped), at most `maxChars` characters. */
  async snippet(h: { path: string; startLine: number; endLine: number }, maxLines = 8, maxChars = 600): Promise<string> {
    const lines = (await this.lines(h.path))?.slice(h.startLine - 1, h.endLine) ?? [];
    while (lines.length && !lines[0].trim()) lines.shift();
    return lines.slice(0, maxLines).join('\n').slice(0, maxChars);
  }
}

interface Range {
  start: number;
  end: number;
  symbols: string[];
  score: number;
  rank: number;
}

function fenceFor(text: string): string {
  let longest = 2;
  for (const m of text.matchAll(/`{3,}/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(longest + 1);
}

function languageTag(rel: string): string {
  const ext = path.extname(rel).slice(1).toLowerCase();
  return /^[a-z0-9+#-]{1,12}$/.test(ext) ? ext : '';
}

export function blockHeader(rel: string, start: number, end: number, symbols: readonly string[]): string {
  return `${rel}:${start}-${end}${symbols.length ? ` (${symbols.join(', ')})` : ''}`;
}

function render(rel: string, lines: string[], r: Range): string {
  const code = lines.slice(r.start - 1, r.end).join('\n');
  const fence = fenceFor(code);
  return `${blockHeader(rel, r.start, r.end, r.symbols)}\n${fence}${languageTag(rel)}\n${code}\n${fence}`;
}

/** Merges a range into a file's sorted ranges (overlapping or adjacent ones become one). */
function mergeInto(lines: readonly string[], ranges: readonly Range[], add: Range): Range[] {
  const out: Range[] = [];
  let cur = { ...add, symbols: [...add.symbols] };
  for (const r of ranges) {
    if (!touching(lines, r, cur)) {
      out.push(r);
      continue;
    }
    const [first, second] = r.rank <= cur.rank ? [r, cur] : [cur, r];
    cur = {
      start: Math.min(r.start, cur.start),
      end: Math.max(r.end, cur.end),
      symbols: [...new Set([...first.symbols, ...second.symbols])],
      score: Math.max(r.score, cur.score),
      rank: Math.min(r.rank, cur.rank),
    };
  }
  out.push(cur);
  return out.sort((a, b) => a.start - b.start);
}

const SEPARATOR = '\n\n';

/**
 * Packs the best chunks for `question` into at most `budget` tokens. Hits are taken best first;
 * a hit that does not fit is skipped (a smaller, later one may still fit). If even the best hit
 * does not fit alone, its first lines are kept (`truncated`).
 */
export async function packContext(engine: Engine, question: string, opts: PackOptions = {}): Promise<PackedContext> {
  const budget = opts.budget ?? DEFAULT_CONTEXT_BUDGET;
  if (!Number.isInteger(budget) || budget < 1) throw new KindredError('bad-argument', `The token budget must be a positive integer, got ${budget}.`);
  const candidates = opts.candidates ?? Math.min(50, Math.max(8, Math.ceil(budget / 150)));
  const runtime = engine.runtime;
  const count = runtime ? (t: string) => runtime.countTokens(t) : approximateTokens;
  const sepTokens = count(SEPARATOR);
  const hits = await searchFiltered(engine, question, { k: candidates, mode: opts.mode, path: opts.path });
  const cache = new LineCache(engine.folder);

  const byFile = new Map<string, { ranges: Range[]; tokens: number; lines: string[] }>();
  const seen = new Map<string, string>();
  const duplicates: PackedContext['duplicates'] = [];
  let total = 0;
  let omitted = 0;
  let truncated = false;

  const fileTokens = (rel: string, lines: string[], ranges: Range[]): number =>
    ranges.reduce((n, r) => n + count(render(rel, lines, r)), 0) + sepTokens * ranges.length;

  for (let rank = 0; rank < hits.length; rank++) {
    const h = hits[rank];
    const lines = await cache.lines(h.path);
    if (!lines) continue;
    const end = Math.min(h.endLine, lines.length);
    if (end < h.startLine) continue;
    const body = lines.slice(h.startLine - 1, end).join('\n').trim();
    const where = `${h.path}:${h.startLine}-${end}`;
    const same = seen.get(body);
    if (same !== undefined) {
      duplicates.push({ path: h.path, startLine: h.startLine, endLine: end, sameAs: same });
      continue;
    }
    const range: Range = { start: h.startLine, end, symbols: h.symbol ? [h.symbol] : [], score: h.score, rank };
    const file = byFile.get(h.path);
    const merged = mergeInto(lines, file?.ranges ?? [], range);
    const tokens = fileTokens(h.path, lines, merged);
    const after = total - (file?.tokens ?? 0) + tokens;
    if (after <= budget) {
      byFile.set(h.path, { ranges: merged, tokens, lines });
      total = after;
      seen.set(body, where);
      // The ranking already collapsed identical chunks elsewhere into this hit: they are listed, not packed.
      for (const d of h.duplicates ?? []) duplicates.push({ ...d, sameAs: where });
      continue;
    }
    if (total === 0) {
      // The best hit alone is over budget: keep as many of its first lines as fit.
      let lo = range.start;
      let hi = range.end - 1;
      let best = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const t = fileTokens(h.path, lines, [{ ...range, end: mid }]);
        if (t <= budget) {
          best = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (best) {
        const cut = [{ ...range, end: best }];
        const t = fileTokens(h.path, lines, cut);
        byFile.set(h.path, { ranges: cut, tokens: t, lines });
        total = t;
        truncated = true;
        seen.set(body, where);
        continue;
      }
    }
    omitted++;
  }

  const blocks: ContextBlock[] = [];
  const files = [...byFile.entries()].sort((a, b) => Math.min(...a[1].ranges.map((r) => r.rank)) - Math.min(...b[1].ranges.map((r) => r.rank)));
  for (const [rel, f] of files) {
    for (const r of f.ranges) {
      const text = render(rel, f.lines, r);
      blocks.push({ path: rel, startLine: r.start, endLine: r.end, symbols: r.symbols, score: r.score, rank: r.rank, tokens: count(text), text });
    }
  }
  // Separators and block boundaries can tokenize slightly differently in the whole: drop the
  // lowest-ranked blocks until the whole text fits.
  let text = blocks.map((b) => b.text).join(SEPARATOR);
  let tokens = text ? count(text) : 0;
  while (tokens > budget && blocks.length > 1) {
    let worst = 0;
    for (let i = 1; i < blocks.length; i++) if (blocks[i].rank > blocks[worst].rank) worst = i;
    blocks.splice(worst, 1);
    omitted++;
    text = blocks.map((b) => b.text).join(SEPARATOR);
    tokens = count(text);
  }
  return {
    question,
    budget,
    tokens,
    tokenizer: runtime ? 'model' : 'approximate',
    blocks,
    text,
    considered: hits.length,
    omitted,
    duplicates,
    truncated,
  };
}
