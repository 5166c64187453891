/**
 * Training pairs mined from a folder for the query adapter: (natural-language query, passage) pairs of four
 * kinds, each labelled. `doc`: a function's doc comment → the function (comment blanked out); `heading`: a
 * Markdown or reStructuredText heading → the section under it; `test`: a test's description → the function the test calls;
 * `symbol`: a definition's name split into words → the definition.
 */
import * as path from 'node:path';
import { definitionName, functionBinding } from '../chunking/chunker';
import { headingsOf, type ProseFormat } from '../chunking/headings';
import { strategyFor } from '../chunking/languages';
import { parse, type SyntaxNode } from '../chunking/treeSitter';
import { DEFAULT_EXCLUDES, discoverFiles } from '../discovery';
import { DEFAULT_MAX_FILE_BYTES } from '../engine';
import { splitIdentifier } from '../index/tokenize';
import { pathKinds } from '../ranking/paths';
import { lastName } from '../ranking/query';
import { readTextFile } from '../text';
import { blankRanges, FUNCTIONS, minePairs } from '../eval/workspace';

export const PAIR_KINDS = ['doc', 'heading', 'test', 'symbol'] as const;
export type PairKind = (typeof PAIR_KINDS)[number];

export interface TrainingPair {
  kind: PairKind;
  query: string;
  /** The passage the query should find (as its file reads, doc comments blanked out). */
  target: string;
  /** The file the target comes from: pairs are split into train and held-out by this file. */
  file: string;
  startLine: number;
  endLine: number;
}

export interface MineOptions {
  exclude?: readonly string[];
  maxFileBytes?: number;
  /** At most this many pairs whose target is in one file (kinds taken in turn). Default 24. */
  perFileCap?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface MinedPairs {
  pairs: TrainingPair[];
  kinds: Record<PairKind, number>;
  files: number;
}

const MIN_WORDS: Record<PairKind, number> = { doc: 3, heading: 2, test: 3, symbol: 2 };
/** Sections shorter than this (non-blank characters) say too little to be a target. */
const MIN_SECTION_CHARS = 60;
/** Names this short or this common are too vague to tie a test to a definition. */
const MIN_NAME_LENGTH = 4;

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

/** `parseRangeSpec` → "parse range spec"; `HTTP_server` → "http server". */
export function symbolWords(name: string): string {
  return splitIdentifier(lastName(name))
    .map((w) => w.toLowerCase())
    .join(' ');
}

function linesOf(text: string, start: number, end: number): string {
  return text.split(/\r?\n/).slice(start - 1, end).join('\n');
}

/** Heading → section body in Markdown (ATX and setext, outside code fences) or reStructuredText. */
export function proseSections(text: string, format: ProseFormat): { heading: string; body: string; startLine: number; endLine: number }[] {
  const lines = text.split(/\r?\n/);
  const heads = headingsOf(lines, format);
  return heads.flatMap((h, i) => {
    const endLine = (heads[i + 1]?.line ?? lines.length + 1) - 1;
    const body = lines.slice(h.endLine, endLine).join('\n').trim();
    const heading = h.title
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/`([^`<]*?)\s*<[^>]*>`_*/g, '$1')
      .replace(/[`*_]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (body.replace(/\s/g, '').length < MIN_SECTION_CHARS) return [];
    return [{ heading, body, startLine: h.endLine + 1, endLine }];
  });
}

interface TestCase {
  description: string;
  /** Titles of enclosing `describe` blocks, outermost first. */
  context: string[];
  /** Names the test calls (functions and methods), in order. */
  calls: string[];
}

function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string' || node.type === 'template_string') return node.text.slice(1, -1);
  return undefined;
}

function calledNames(node: SyntaxNode, out: string[]): void {
  if (node.type === 'call_expression' || node.type === 'call' || node.type === 'new_expression') {
    const fn = node.childForFieldName('function') ?? node.childForFieldName('constructor');
    if (fn?.type === 'identifier') out.push(fn.text);
    else if (fn?.type === 'member_expression') {
      const p = fn.childForFieldName('property');
      if (p) out.push(p.text);
    } else if (fn?.type === 'attribute') {
      const a = fn.childForFieldName('attribute');
      if (a) out.push(a.text);
    }
  }
  for (const c of node.namedChildren) if (c) calledNames(c, out);
}

/** Test cases of a JS/TS (`it`/`test` with a string title) or Python (`def test_*`) test file. */
export async function testCases(relPath: string, text: string): Promise<TestCase[]> {
  const strategy = strategyFor(relPath, text);
  if (strategy.kind !== 'tree-sitter') return [];
  const python = strategy.grammar === 'python';
  const tree = await parse(strategy.grammar, text).catch(() => undefined);
  if (!tree) return [];
  const out: TestCase[] = [];
  try {
    const visit = (node: SyntaxNode, context: string[]): void => {
      if (python && node.type === 'function_definition') {
        const name = node.childForFieldName('name')?.text ?? '';
        if (name.startsWith('test_') || name.startsWith('test')) {
          const calls: string[] = [];
          const body = node.childForFieldName('body');
          if (body) calledNames(body, calls);
          out.push({ description: symbolWords(name.replace(/^test_?/, '')), context, calls });
          return;
        }
      }
      if (!python && node.type === 'call_expression') {
        const fn = node.childForFieldName('function')?.text ?? '';
        const args = node.childForFieldName('arguments')?.namedChildren.filter((c): c is SyntaxNode => !!c) ?? [];
        const title = stringValue(args[0]);
        const base = fn.replace(/\.(only|skip|todo)$/, '');
        if (title !== undefined && (base === 'describe' || base === 'suite' || base === 'context')) {
          for (const a of args.slice(1)) visit(a, [...context, title]);
          return;
        }
        if (title !== undefined && (base === 'it' || base === 'test')) {
          const calls: string[] = [];
          for (const a of args.slice(1)) calledNames(a, calls);
          out.push({ description: title, context, calls });
          return;
        }
      }
      for (const c of node.namedChildren) if (c) visit(c, context);
    };
    visit(tree.rootNode, []);
  } finally {
    tree.delete();
  }
  return out;
}

/** Functions, methods and classes (the node types, across the grammars) that make a name → definition pair. */
const DEFINITION_NODES: ReadonlySet<string> = new Set([...FUNCTIONS, 'class_declaration', 'class_definition', 'struct_item', 'trait_item', 'interface_declaration']);

/** A file's named functions, methods and classes, each with its own lines (through `export`). */
export async function definitions(relPath: string, text: string): Promise<Definition[]> {
  const strategy = strategyFor(relPath, text);
  if (strategy.kind !== 'tree-sitter') return [];
  const tree = await parse(strategy.grammar, text).catch(() => undefined);
  if (!tree) return [];
  const out: Definition[] = [];
  try {
    const visit = (node: SyntaxNode): void => {
      const bound = DEFINITION_NODES.has(node.type) ? undefined : functionBinding(node);
      const name = bound ? bound.name : DEFINITION_NODES.has(node.type) ? definitionName(node) : undefined;
      if (name && name !== 'constructor') {
        const outer = node.parent?.type === 'export_statement' ? node.parent : node;
        const startLine = outer.startPosition.row + 1;
        const end = node.endPosition;
        const endLine = end.column === 0 && end.row > node.startPosition.row ? end.row : end.row + 1;
        out.push({ file: relPath, symbol: name, text: linesOf(text, startLine, endLine), startLine, endLine });
      }
      for (const c of node.namedChildren) if (c) visit(c);
    };
    visit(tree.rootNode);
  } finally {
    tree.delete();
  }
  return out;
}

interface Definition {
  file: string;
  symbol: string;
  text: string;
  startLine: number;
  endLine: number;
}

/** The called function a test is about: one named in its title (or its describe's), else its only candidate. */
function functionUnderTest(t: TestCase, defs: ReadonlyMap<string, Definition>): Definition | undefined {
  const candidates = [...new Set(t.calls)].filter((n) => n.length >= MIN_NAME_LENGTH && defs.has(n));
  if (candidates.length === 0) return undefined;
  const said = `${t.context.join(' ')} ${t.description}`.toLowerCase();
  const named = candidates.find((n) => said.includes(n.toLowerCase()) || said.includes(symbolWords(n)));
  if (named) return defs.get(named);
  return candidates.length === 1 ? defs.get(candidates[0]) : undefined;
}

/** Keeps at most `cap` pairs per target file, the kinds taken in turn so that no kind crowds out the others. */
export function capPerFile(pairs: readonly TrainingPair[], cap: number): TrainingPair[] {
  const byFile = new Map<string, TrainingPair[]>();
  for (const p of pairs) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const kept = new Set<TrainingPair>();
  for (const list of byFile.values()) {
    const queues = PAIR_KINDS.map((k) => list.filter((p) => p.kind === k));
    let taken = 0;
    for (let round = 0; taken < cap && queues.some((q) => q.length > round); round++) {
      for (const q of queues) if (q[round] && taken < cap) (kept.add(q[round]), taken++);
    }
  }
  return pairs.filter((p) => kept.has(p));
}

/**
 * De-duplicates: a query that names two different targets has no single answer and is dropped everywhere;
 * the same (query, target) twice is kept once. Queries compare case-insensitively.
 */
export function dedupePairs(pairs: readonly TrainingPair[]): TrainingPair[] {
  const targets = new Map<string, Set<string>>();
  for (const p of pairs) {
    const q = p.query.toLowerCase();
    targets.set(q, (targets.get(q) ?? new Set()).add(p.target));
  }
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const q = p.query.toLowerCase();
    if (targets.get(q)!.size > 1 || seen.has(q)) return false;
    seen.add(q);
    return true;
  });
}

/** Mines the folder's pairs (see the file comment), de-duplicated and capped per file. */
export async function mineTrainingPairs(folder: string, options: MineOptions = {}): Promise<MinedPairs> {
  const root = path.resolve(folder);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { files } = await discoverFiles(root, { exclude: [...DEFAULT_EXCLUDES, ...(options.exclude ?? [])], maxFileBytes });
  const raw: TrainingPair[] = [];
  const defs = new Map<string, Definition | null>();
  const tests: TestCase[] = [];
  for (const [i, f] of files.entries()) {
    options.onProgress?.(i, files.length);
    const read = await readTextFile(path.join(root, f.rel), maxFileBytes);
    if (!read.ok) continue;
    const strategy = strategyFor(f.rel, read.text);
    const kinds = pathKinds(f.rel);
    if (strategy.kind === 'prose') {
      for (const s of proseSections(read.text, strategy.format)) raw.push({ kind: 'heading', query: s.heading, target: s.body, file: f.rel, startLine: s.startLine, endLine: s.endLine });
      continue;
    }
    if (strategy.kind !== 'tree-sitter') continue;
    if (kinds.topics.has('test')) {
      tests.push(...(await testCases(f.rel, read.text)));
      continue;
    }
    if (kinds.topics.has('generated') || kinds.topics.has('vendor') || kinds.topics.has('types')) continue;
    const docs = await minePairs(f.rel, read.text);
    const text = blankRanges(
      read.text,
      docs.map((p) => ({ start: p.commentStart, end: p.commentEnd })),
    );
    for (const p of docs) raw.push({ kind: 'doc', query: p.query, target: linesOf(text, p.startLine, p.endLine), file: f.rel, startLine: p.startLine, endLine: p.endLine });
    const seenSymbols = new Set<string>();
    for (const d of await definitions(f.rel, text)) {
      if (seenSymbols.has(d.symbol)) continue;
      seenSymbols.add(d.symbol);
      const name = lastName(d.symbol);
      // A name defined twice is ambiguous for tests: neither definition is used.
      defs.set(name, defs.has(name) ? null : d);
      raw.push({ kind: 'symbol', query: symbolWords(name), target: d.text, file: f.rel, startLine: d.startLine, endLine: d.endLine });
    }
  }
  options.onProgress?.(files.length, files.length);
  const unique = new Map([...defs].filter((e): e is [string, Definition] => e[1] !== null));
  for (const t of tests) {
    const d = functionUnderTest(t, unique);
    if (d) raw.push({ kind: 'test', query: t.description.replace(/\s+/g, ' ').trim(), target: d.text, file: d.file, startLine: d.startLine, endLine: d.endLine });
  }
  const wordy = raw.filter((p) => words(p.query).length >= MIN_WORDS[p.kind] && p.target.trim());
  const pairs = capPerFile(dedupePairs(wordy), options.perFileCap ?? 24);
  const kinds = Object.fromEntries(PAIR_KINDS.map((k) => [k, pairs.filter((p) => p.kind === k).length])) as Record<PairKind, number>;
  return { pairs, kinds, files: files.length };
}

export interface PairSplit {
  train: TrainingPair[];
  /** Pairs for early stopping (files of their own). */
  validation: TrainingPair[];
  /** Pairs for the before/after report (files of their own). */
  heldOut: TrainingPair[];
}

/**
 * Splits by target file, in a seeded order: files go to held-out until it holds `heldOut` of the pairs,
 * then to validation until it holds `validation`, the rest to training. No file is in two parts.
 */
export function splitByFile(pairs: readonly TrainingPair[], opts: { seed: number; heldOut?: number; validation?: number; random: (seed: number) => () => number }): PairSplit {
  const files = [...new Set(pairs.map((p) => p.file))].sort();
  const rnd = opts.random(opts.seed);
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [files[i], files[j]] = [files[j], files[i]];
  }
  const count = new Map<string, number>();
  for (const p of pairs) count.set(p.file, (count.get(p.file) ?? 0) + 1);
  const wantHeld = (opts.heldOut ?? 0.25) * pairs.length;
  const wantVal = (opts.validation ?? 0.15) * pairs.length;
  const part = new Map<string, keyof PairSplit>();
  let held = 0;
  let val = 0;
  for (const f of files) {
    if (held < wantHeld) (part.set(f, 'heldOut'), (held += count.get(f)!));
    else if (val < wantVal) (part.set(f, 'validation'), (val += count.get(f)!));
    else part.set(f, 'train');
  }
  const out: PairSplit = { train: [], validation: [], heldOut: [] };
  for (const p of pairs) out[part.get(p.file)!].push(p);
  return out;
}
