/**
 * The ranking stack: re-scores a query's fused candidates with the rules (rules.ts), then selects the
 * results: identical chunks once, overlapping chunks once, and each further chunk of a file worth less
 * (saturation) so that ten results reach more than one file.
 */
import { asksHow, classifyQuery, type QueryIntent } from './query';
import { RULES, WEIGHTS, type Candidate, type ChunkInfo, type ChunkSource, type Rule } from './rules';

export interface StackOptions {
  k: number;
  /** Rule names to leave out (ablation: `kindred eval repos --ablate`). */
  disabled?: ReadonlySet<string>;
  /** The operating system searched from (default `process.platform`): the platform rule prefers its code. */
  platform?: string;
  /** Already classified query (default: classified from `query`). */
  intent?: QueryIntent;
  /** Results (k + SHOWN_SLACK by default) within which near copies are looked for; Infinity checks every candidate (tests). */
  nearCopyWindow?: number;
}

/**
 * A selected result; `duplicates` are the ids of identical chunks elsewhere that it stands for; `lines`, when
 * set, is the range to show instead of the chunk's own (a fragment shown with the chunk it belongs to).
 */
export interface StackResult {
  id: number;
  score: number;
  duplicates?: number[];
  lines?: { startLine: number; endLine: number };
  /** The name a symbol query named that this chunk defines besides its own symbol (shown as the hit's symbol). */
  defines?: string;
}

/** Names of the selection steps, which can be disabled like the rules. */
export const SELECTION_STEPS = ['duplicates', 'near-duplicates', 'saturation', 'fragments'] as const;

/** A chunk of at most this many lines is a fragment: a class header alone, a docstring's first line, `return this; }`. */
const FRAGMENT_LINES = 2;
/** Lines between two chunks that still make them neighbours (blank lines, a lone brace). */
const NEIGHBOUR_GAP = 3;

/**
 * The range to show for a fragment: joined with the chunk it belongs to. Fragments of one symbol in a row
 * (a header cut into pieces: `class X:`, then a docstring's first line) are taken together; after a bigger chunk
 * of the same symbol they are its tail (joined with it), otherwise a header, joined with the chunks after it
 * until the range is more than a fragment. Undefined when the chunk is not a fragment or stands alone.
 */
export function fragmentRange(c: ChunkInfo, source: ChunkSource): { startLine: number; endLine: number } | undefined {
  const isFragment = (k: ChunkInfo): boolean => k.endLine - k.startLine + 1 <= FRAGMENT_LINES;
  if (!isFragment(c)) return undefined;
  const chunks = source.fileChunks(c.path);
  const i = chunks.findIndex((k) => k.id === c.id);
  if (i < 0) return undefined;
  let first = i;
  while (first > 0 && isFragment(chunks[first - 1]) && chunks[first - 1].symbol === c.symbol && chunks[first].startLine - chunks[first - 1].endLine <= NEIGHBOUR_GAP) first--;
  const start = chunks[first].startLine;
  const prev = chunks[first - 1];
  if (prev && c.symbol !== undefined && prev.symbol === c.symbol && start - prev.endLine <= NEIGHBOUR_GAP) return { startLine: prev.startLine, endLine: c.endLine };
  let end = c.endLine;
  for (let j = i + 1; j < chunks.length && end - start + 1 <= FRAGMENT_LINES; j++) {
    if (chunks[j].startLine - end > NEIGHBOUR_GAP) break;
    end = Math.max(end, chunks[j].endLine);
  }
  return start < c.startLine || end > c.endLine ? { startLine: start, endLine: end } : undefined;
}

export function ruleNames(): string[] {
  return [...RULES.map((r: Rule) => r.name), ...SELECTION_STEPS];
}

function overlapping(a: Candidate, b: Candidate): boolean {
  return a.path === b.path && a.startLine <= b.endLine && b.startLine <= a.endLine;
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

/**
 * A selected result this candidate nearly copies: the same symbol in a file of the same name elsewhere
 * (a vendored or versioned copy), with nearly the same embedding. Only such pairs are compared, so it costs
 * a few vector reads per query.
 */
function nearCopyOf(c: Candidate, selected: readonly { c: Candidate; r: StackResult }[], source: ChunkSource): StackResult | undefined {
  if (!c.symbol || !source.vector) return undefined;
  let mine: Float32Array | undefined;
  for (const s of selected) {
    if (s.c.path === c.path || s.c.symbol !== c.symbol || baseName(s.c.path) !== baseName(c.path)) continue;
    mine ??= source.vector(c.id);
    const theirs = mine && source.vector(s.c.id);
    if (mine && theirs && cosine(mine, theirs) >= WEIGHTS.nearDuplicate) return s.r;
  }
  return undefined;
}

/**
 * Ranks candidates (the fused list, best first, any score scale) for `query`. Costs a few look-ups in
 * `source` and O(n log n) in the candidates; never touches the rest of the index.
 */
export function applyStack(query: string, candidates: readonly Candidate[], source: ChunkSource, options: StackOptions): StackResult[] {
  const intent = options.intent ?? classifyQuery(query);
  const off = options.disabled ?? new Set<string>();
  let cands = candidates.map((c) => ({ ...c }));
  const maxScore = Math.max(1e-9, ...cands.map((c) => c.score));
  for (const rule of RULES) if (!off.has(rule.name)) cands = rule.apply(cands, { intent, source, maxScore, platform: options.platform });
  cands.sort((a, b) => b.score - a.score || a.id - b.id);

  // Near-copy checks compare a few vectors many times over: each is read once per query.
  const vectors = new Map<number, Float32Array | undefined>();
  const read = source.vector;
  const memoSource: ChunkSource = read
    ? {
        ...source,
        vector: (id) => {
          if (!vectors.has(id)) vectors.set(id, read(id));
          return vectors.get(id);
        },
      }
    : source;
  // Near-copy checks are made for the candidates that can still reach the first k + SHOWN_SLACK results; in the rare
  // query where showing fragments with their chunks drops more than the slack, the selection is made again with all.
  const saturation = asksHow(intent) ? WEIGHTS.saturationHow : WEIGHTS.saturation;
  return (
    select(cands, memoSource, options.k, off, options.nearCopyWindow ?? options.k + SHOWN_SLACK, saturation) ??
    (select(cands, memoSource, options.k, off, Infinity, saturation) as StackResult[])
  );
}

/** Results past the k asked for whose near copies are still collapsed (fragments shown with their chunk may drop a few). */
const SHOWN_SLACK = 10;

/** Inserts `x` into `a` (best first), keeping at most `n` entries. */
function insertDescending(a: number[], x: number, n: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1] < x) i--;
  if (i >= n) return;
  a.splice(i, 0, x);
  if (a.length > n) a.pop();
}

/**
 * Greedy selection of the re-scored candidates (best first): identical chunks once, overlapping chunks once,
 * near copies once, and each further chunk of a file worth less (saturation); then fragments shown with their
 * chunk. Near copies are looked for among the candidates that can still be in the first `window` results (reading
 * vectors is most of the stack's time on an index with many copies); undefined when the results shown reached past
 * `window`, where a copy may not have been collapsed.
 */
function select(cands: readonly Candidate[], source: ChunkSource, k: number, off: ReadonlySet<string>, window: number, saturation: number): StackResult[] | undefined {
  const perFile = new Map<string, number>();
  const byCopy = new Map<string, StackResult>();
  const selected: { c: Candidate; r: StackResult }[] = [];
  // The best `window` effective scores selected so far, best first. Once `window` of them beat a candidate's own
  // score, neither it nor any candidate after it (scores only fall, saturation only lowers them) can be among the
  // first `window` results: it needs no near-copy check.
  const best: number[] = [];
  for (const c of cands) {
    const beyond = best.length >= window && best[window - 1] > c.score;
    // The same code elsewhere (equal bodies; an index without bodies has only the hash, which covers the path).
    const copyKey = c.body ?? c.hash;
    if (!off.has('duplicates')) {
      const same = byCopy.get(copyKey);
      if (same) {
        (same.duplicates ??= []).push(c.id);
        continue;
      }
    }
    if (selected.some((s) => overlapping(s.c, c))) continue;
    if (!off.has('near-duplicates') && !beyond) {
      const copy = nearCopyOf(c, selected, source);
      if (copy) {
        (copy.duplicates ??= []).push(c.id);
        continue;
      }
    }
    const already = perFile.get(c.path) ?? 0;
    const score = off.has('saturation') ? c.score : c.score * saturation ** already;
    const r: StackResult = { id: c.id, score, ...(c.holds ? { defines: c.holds } : {}) };
    perFile.set(c.path, already + 1);
    byCopy.set(copyKey, r);
    selected.push({ c, r });
    if (!beyond) insertDescending(best, score, window);
  }
  selected.sort((a, b) => b.r.score - a.r.score || a.r.id - b.r.id);
  if (off.has('fragments')) return k <= window ? selected.slice(0, k).map((s) => s.r) : undefined;
  // Fragments are shown with the chunk they belong to; a result inside a range already shown is left out.
  const shown: { path: string; startLine: number; endLine: number }[] = [];
  const out: StackResult[] = [];
  for (let i = 0; i < selected.length && out.length < k; i++) {
    if (i >= window) return undefined;
    const { c, r } = selected[i];
    const lines = fragmentRange(c, source);
    const range = { path: c.path, ...(lines ?? { startLine: c.startLine, endLine: c.endLine }) };
    if (shown.some((x) => x.path === range.path && x.startLine <= range.endLine && range.startLine <= x.endLine)) continue;
    shown.push(range);
    out.push(lines ? { ...r, lines } : r);
  }
  return out;
}
