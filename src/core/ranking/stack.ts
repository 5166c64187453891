/**
 * The ranking stack: re-scores a query's fused candidates with the rules (rules.ts), then selects the
 * results: identical chunks once, overlapping chunks once, and each further chunk of a file worth less
 * (saturation) so that ten results reach more than one file.
 */
import { classifyQuery, type QueryIntent } from './query';
import { RULES, WEIGHTS, type Candidate, type ChunkSource, type Rule } from './rules';

export interface StackOptions {
  k: number;
  /** Rule names to leave out (ablation: `kindred eval repos --ablate`). */
  disabled?: ReadonlySet<string>;
  /** Already classified query (default: classified from `query`). */
  intent?: QueryIntent;
}

/** A selected result; `duplicates` are the ids of identical chunks elsewhere that it stands for. */
export interface StackResult {
  id: number;
  score: number;
  duplicates?: number[];
}

/** Names of the selection steps, which can be disabled like the rules. */
export const SELECTION_STEPS = ['duplicates', 'near-duplicates', 'saturation'] as const;

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
  for (const rule of RULES) if (!off.has(rule.name)) cands = rule.apply(cands, { intent, source, maxScore });
  cands.sort((a, b) => b.score - a.score || a.id - b.id);

  // Greedy selection with saturation: a candidate's effective score drops with each chunk of its file
  // already selected (candidates are a few hundred at most, so the overlap check stays cheap).
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
  const perFile = new Map<string, number>();
  const byHash = new Map<string, StackResult>();
  const selected: { c: Candidate; r: StackResult }[] = [];
  for (const c of cands) {
    if (!off.has('duplicates')) {
      const same = byHash.get(c.hash);
      if (same) {
        (same.duplicates ??= []).push(c.id);
        continue;
      }
    }
    if (selected.some((s) => overlapping(s.c, c))) continue;
    if (!off.has('near-duplicates')) {
      const copy = nearCopyOf(c, selected, memoSource);
      if (copy) {
        (copy.duplicates ??= []).push(c.id);
        continue;
      }
    }
    const already = perFile.get(c.path) ?? 0;
    const score = off.has('saturation') ? c.score : c.score * WEIGHTS.saturation ** already;
    const r: StackResult = { id: c.id, score };
    perFile.set(c.path, already + 1);
    byHash.set(c.hash, r);
    selected.push({ c, r });
  }
  return selected
    .map((s) => s.r)
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, options.k);
}
