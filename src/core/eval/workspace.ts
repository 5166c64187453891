import * as path from 'node:path';
import { chunkText, COMMENTS, functionBinding } from '../chunking/chunker';
import { embeddingText } from '../chunking/embedText';
import { strategyFor } from '../chunking/languages';
import { parse, type SyntaxNode } from '../chunking/treeSitter';
import { DEFAULT_EXCLUDES, discoverFiles } from '../discovery';
import type { ModelRuntime } from '../embedding/runtime';
import { DEFAULT_MAX_FILE_BYTES } from '../engine';
import { KindredError } from '../errors';
import type { LexicalDoc } from '../index/lexical';
import type { FusionParams } from '../search';
import { readTextFile } from '../text';
import { embedCorpus, type EmbedCorpusResult } from './embed';
import type { Metrics } from './metrics';
import { EVAL_MODES, retrieve, scoreModes, stackCorpus, type EvalMode, type EvalQuery, type QueryLists } from './retrieval';

/**
 * Search quality on the user's own code: every documented function gives a (query, target) pair,
 * the doc comment's summary as the query and the function as the target. The comment is blanked
 * out of the indexed text (lines keep their numbers), the files are cut by the product's chunker,
 * and a pair is found at the rank of the first chunk overlapping the function.
 */

/** A doc comment and the function it documents; lines are 1-based and inclusive. */
export interface DocPair {
  query: string;
  /** The function's own lines (without a comment above it). */
  startLine: number;
  endLine: number;
  /** Character range of the comment in the file's text (blanked out of the corpus). */
  commentStart: number;
  commentEnd: number;
  symbol?: string;
}

/** Definitions whose doc comment makes a pair (functions and methods, across the grammars). */
export const FUNCTIONS: ReadonlySet<string> = new Set([
  'function_declaration',
  'generator_function_declaration',
  'method_definition',
  'function_definition',
  'method_declaration',
  'constructor_declaration',
  'function_item',
]);

/** Queries shorter than this many words say too little to search with. */
const MIN_QUERY_WORDS = 3;

function endLineOf(node: SyntaxNode): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row : end.row + 1;
}

/** The node a comment above the definition precedes (through `export`). */
function outerOf(node: SyntaxNode): SyntaxNode {
  return node.parent?.type === 'export_statement' ? node.parent : node;
}

/**
 * The doc comment nodes directly above `node` (adjacent lines, nothing in between), when they are
 * doc comments by the language's convention: `/** *\/` (JSDoc, Javadoc, Rust, C/C++), `///` (Rust, C#),
 * and in Go any `//` block.
 */
function docCommentAbove(node: SyntaxNode, go: boolean): SyntaxNode[] {
  const run: SyntaxNode[] = [];
  let next = node;
  for (let prev = node.previousNamedSibling; prev && COMMENTS.has(prev.type); prev = prev.previousNamedSibling) {
    // Adjacent lines only; a JSDoc block may stand one blank line above (Express's style).
    const gap = next.startPosition.row - endLineOf(prev);
    if (gap > 1 || (gap === 1 && (next !== node || !prev.text.startsWith('/**')))) break;
    run.unshift(prev);
    next = prev;
  }
  if (run.length === 0) return [];
  const texts = run.map((c) => c.text.trimStart());
  if (texts[0].startsWith('/**') && run.length === 1) return run;
  if (texts.every((t) => t.startsWith('///') && !t.startsWith('////'))) return run;
  if (go && texts.every((t) => t.startsWith('//'))) return run;
  return [];
}

/** A Python function's docstring: the first statement of its body, a string. */
function docstringOf(fn: SyntaxNode): SyntaxNode | undefined {
  const first = fn.childForFieldName('body')?.namedChildren[0];
  return first?.type === 'expression_statement' && first.namedChildren[0]?.type === 'string' ? first : undefined;
}

/**
 * The summary of a doc comment as a search query: markers stripped, the first paragraph, up to the
 * first tag or section (`@param`, `Args:`, `# Examples`), whitespace collapsed.
 */
export function commentToQuery(comment: string): string {
  let t = comment.trim();
  t = t.replace(/^[rRuUbB]{0,2}("""|''')([\s\S]*?)\1$/, '$2').replace(/^[rRuUbB]{0,2}(["'])([\s\S]*)\1$/, '$2');
  t = t.replace(/^\/\*\*+/, '').replace(/\*+\/$/, '');
  const lines = t.split(/\r?\n/).map((l) => l.replace(/^\s*(\/\/[/!]?|\*(?!\/))?\s?/, '').trimEnd());
  const kept: string[] = [];
  for (const line of lines) {
    const s = line.trim();
    if (!s) {
      if (kept.length) break;
      continue;
    }
    if (/^(@\w|#\s|:param|:return|:raises|(Args|Arguments|Parameters|Returns|Yields|Raises|Example|Examples|Note|Notes)\s*:?$)/.test(s)) break;
    kept.push(s);
  }
  return kept
    .join(' ')
    .replace(/\{@\w+\s+([^}]*)\}/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Finds the documented functions of one file. Files without a grammar give none. */
export async function minePairs(relPath: string, text: string): Promise<DocPair[]> {
  const strategy = strategyFor(relPath, text);
  if (strategy.kind !== 'tree-sitter') return [];
  const tree = await parse(strategy.grammar, text).catch(() => undefined);
  if (!tree) return [];
  const pairs: DocPair[] = [];
  const go = strategy.grammar === 'go';
  const python = strategy.grammar === 'python';
  try {
    const visit = (node: SyntaxNode): void => {
      const bound = FUNCTIONS.has(node.type) ? undefined : functionBinding(node);
      if (FUNCTIONS.has(node.type) || bound) {
        let comment: { start: number; end: number; text: string } | undefined;
        if (python) {
          const doc = docstringOf(node);
          if (doc) comment = { start: doc.startIndex, end: doc.endIndex, text: doc.text };
        } else {
          const run = docCommentAbove(outerOf(node), go);
          if (run.length) comment = { start: run[0].startIndex, end: run[run.length - 1].endIndex, text: text.slice(run[0].startIndex, run[run.length - 1].endIndex) };
        }
        const query = comment ? commentToQuery(comment.text) : '';
        if (comment && query.split(' ').length >= MIN_QUERY_WORDS) {
          const name = bound ? bound.name : node.childForFieldName('name')?.text;
          pairs.push({
            query,
            startLine: outerOf(node).startPosition.row + 1,
            endLine: endLineOf(node),
            commentStart: comment.start,
            commentEnd: comment.end,
            ...(name ? { symbol: name } : {}),
          });
        }
      }
      for (const child of node.namedChildren) if (child) visit(child);
    };
    visit(tree.rootNode);
  } finally {
    tree.delete();
  }
  return pairs;
}

/** The text with the given character ranges replaced by spaces (newlines kept, so lines keep their numbers). */
export function blankRanges(text: string, ranges: readonly { start: number; end: number }[]): string {
  let out = '';
  let pos = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start < pos) continue;
    out += text.slice(pos, r.start) + text.slice(r.start, r.end).replace(/[^\r\n]/g, ' ');
    pos = r.end;
  }
  return out + text.slice(pos);
}

export interface WorkspaceEvalOptions {
  modes?: readonly EvalMode[];
  fusion?: FusionParams;
  exclude?: readonly string[];
  maxFileBytes?: number;
  /** Cache folder for the chunk vectors; default: none (the code changes between runs). */
  cacheDir?: string | false;
  onProgress?: (phase: 'mining' | 'embedding' | 'ranking', done: number, total: number) => void;
  /** Applied to every query vector (a query adapter); default: none. */
  mapQuery?: (v: Float32Array) => Float32Array;
}

export interface WorkspaceReport {
  dataset: 'workspace';
  folder: string;
  model: string;
  dtype: string;
  modes: Partial<Record<EvalMode, Metrics>>;
  pairs: number;
  /** Pairs per file extension. */
  pairsByLanguage: Record<string, number>;
  files: number;
  corpus: number;
  embedSeconds: number | null;
  chunksPerSecond: number | null;
  threads: number;
  /** Whether query vectors went through the folder's query adapter. */
  adapter: boolean;
  /**
   * Set when the evaluation ran on the index (Evaluate Search Quality in the editor): vectors taken from the
   * index, passages embedded again (documented chunks with their comment removed, chunks whose text changed),
   * files left out because they changed since they were indexed.
   */
  fromIndex?: { reusedVectors: number; embeddedPassages: number; skippedFiles: number };
}

/** The folder's pairs, its chunk corpus and each pair's ranked lists: what scoring and fusion tuning start from. */
export async function workspaceRankings(
  folder: string,
  runtime: ModelRuntime,
  options: Omit<WorkspaceEvalOptions, 'fusion'> = {},
): Promise<{ root: string; files: number; docs: (LexicalDoc & { startLine: number; endLine: number })[]; queries: EvalQuery[]; pairsByLanguage: Record<string, number>; lists: QueryLists[]; embedded?: EmbedCorpusResult }> {
  const root = path.resolve(folder);
  const modes = options.modes ?? EVAL_MODES;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { files } = await discoverFiles(root, { exclude: [...DEFAULT_EXCLUDES, ...(options.exclude ?? [])], maxFileBytes });
  if (files.length === 0) throw new KindredError('not-found', `No indexable files in ${root}.`);

  const docs: (LexicalDoc & { startLine: number; endLine: number })[] = [];
  /** What the model embeds for each doc: its text under the index's header (path, symbol, file summary). */
  const embedTexts: string[] = [];
  const queries: EvalQuery[] = [];
  const pairsByLanguage: Record<string, number> = {};
  const seen = new Set<string>();
  for (const [i, f] of files.entries()) {
    options.onProgress?.('mining', i, files.length);
    const read = await readTextFile(path.join(root, f.rel), maxFileBytes);
    if (!read.ok) continue;
    const pairs = await minePairs(f.rel, read.text);
    const text = blankRanges(
      read.text,
      pairs.map((p) => ({ start: p.commentStart, end: p.commentEnd })),
    );
    const chunks = await chunkText(f.rel, text, { maxTokens: runtime.chunkTokens, countTokens: (t) => runtime.countTokens(t) });
    const first = docs.length;
    for (const c of chunks) {
      docs.push({ id: docs.length, text: c.text, path: f.rel, symbol: c.symbol ?? '', startLine: c.startLine, endLine: c.endLine });
      embedTexts.push(embeddingText(f.rel, c));
    }
    for (const p of pairs) {
      // The same summary on two functions (overloads, copies) has no single answer: keep the first.
      if (seen.has(p.query)) continue;
      const relevant = new Set(docs.slice(first).filter((d) => d.startLine <= p.endLine && p.startLine <= d.endLine).map((d) => d.id));
      if (relevant.size === 0) continue;
      seen.add(p.query);
      queries.push({ text: p.query, relevant });
      const ext = path.extname(f.rel).slice(1) || f.rel;
      pairsByLanguage[ext] = (pairsByLanguage[ext] ?? 0) + 1;
    }
  }
  options.onProgress?.('mining', files.length, files.length);
  if (queries.length === 0) throw new KindredError('not-found', `No documented functions found in ${root}: nothing to evaluate.`);

  const needVectors = modes.some((m) => m !== 'bm25');
  const embedded = needVectors
    ? await embedCorpus(
        runtime,
        embedTexts,
        { cacheDir: options.cacheDir ?? false, onProgress: (d, t) => options.onProgress?.('embedding', d, t) },
      )
    : undefined;
  const lists = await retrieve(needVectors ? runtime : undefined, docs, embedded?.vectors, queries, {
    onProgress: (d, t) => options.onProgress?.('ranking', d, t),
    mapQuery: options.mapQuery,
  });
  return { root, files: files.length, docs, queries, pairsByLanguage, lists, embedded };
}

/**
 * Mines (doc comment, function) pairs from a folder and scores bm25 / vector / hybrid search over
 * the folder's chunks, the mined comments removed. Vector modes embed every chunk with `runtime`.
 */
export async function evaluateWorkspace(folder: string, runtime: ModelRuntime, options: WorkspaceEvalOptions = {}): Promise<WorkspaceReport> {
  const modes = options.modes ?? EVAL_MODES;
  const { root, files, docs, queries, pairsByLanguage, lists, embedded } = await workspaceRankings(folder, runtime, options);
  const seconds = embedded?.seconds;
  return {
    dataset: 'workspace',
    folder: root,
    model: runtime.source.modelId,
    dtype: runtime.source.dtype,
    modes: scoreModes(modes, queries, lists, options.fusion, stackCorpus(docs)),
    pairs: queries.length,
    pairsByLanguage,
    files,
    corpus: docs.length,
    embedSeconds: seconds === undefined ? null : Math.round(seconds * 10) / 10,
    chunksPerSecond: seconds ? Math.round((docs.length / seconds) * 10) / 10 : null,
    threads: runtime.workers,
    adapter: !!options.mapQuery,
  };
}
