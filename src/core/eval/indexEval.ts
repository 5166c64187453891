import * as path from 'node:path';
import { recordEmbeddingText } from '../chunking/embedText';
import { fileSummary } from '../chunking/fileSummary';
import type { Engine } from '../engine';
import { KindredError } from '../errors';
import { hashText, type ChunkRecord } from '../index/store';
import { fileHashOf } from '../indexer';
import type { Ranked } from '../search';
import { readTextFile } from '../text';
import type { LexicalDoc } from '../index/lexical';
import { lexicalIndexOf, scoreModes, stackCorpus, EVAL_MODES, type EvalMode, type EvalQuery, type QueryLists } from './retrieval';
import { MRR_CUTOFF } from './metrics';
import { blankRanges, minePairs, type WorkspaceReport } from './workspace';
import { dot } from '../ranking/floor';

/**
 * Below this many (doc comment, code) pairs the evaluation refuses to report: one query moves MRR by up
 * to 1/pairs, so with 2 pairs the number is noise (issue 16 saw "MRR" reported from 2 pairs).
 */
export const MIN_EVAL_PAIRS = 30;

/** Batches of passages embedded at once (the pool spreads them over its workers). */
const EMBED_BATCH = 16;

export interface IndexEvalOptions {
  modes?: readonly EvalMode[];
  signal?: AbortSignal;
  onProgress?: (phase: 'mining' | 'embedding' | 'ranking', done: number, total: number) => void;
  /** Default MIN_EVAL_PAIRS (tests lower it). */
  minPairs?: number;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/**
 * The workspace evaluation (doc comments as queries, the functions they document as targets; see
 * workspace.ts) on the engine's own index instead of a fresh corpus: the index's chunks, its keyword
 * tokenisation and its vectors. Nothing of the workspace is embedded again except what must be: the
 * mined queries, and the chunks whose text differs from what was indexed — the documented chunks with
 * their comment blanked out (the answer must not contain the question) and any chunk that changed since.
 * Files changed on disk since they were indexed are left out. Vector lists come from the index's HNSW
 * graph (the product's vector search) plus an exact scan of the re-embedded chunks.
 *
 * Throws `index-incomplete` while chunks still wait for a vector, `eval-too-few-pairs` below `minPairs`,
 * an AbortError when `signal` fires.
 */
export async function evaluateIndex(engine: Engine, name: string, options: IndexEvalOptions = {}): Promise<WorkspaceReport> {
  const runtime = engine.runtime;
  if (!runtime) throw new KindredError('model-missing', 'The embedding model is not loaded, so there is nothing to evaluate.');
  const store = engine.index;
  store.refresh();
  const { signal } = options;
  const modes = options.modes ?? EVAL_MODES;
  const minPairs = options.minPairs ?? MIN_EVAL_PAIRS;
  if (store.vectorIds.size < store.chunks.size) {
    throw new KindredError(
      'index-incomplete',
      `The index of ${name} is still being built (${store.vectorIds.size} of ${store.chunks.size} chunks embedded).`,
      'Evaluate once indexing is done: the evaluation uses the index as it is.',
    );
  }

  const docs: (LexicalDoc & { startLine: number; endLine: number })[] = [];
  const queries: EvalQuery[] = [];
  const pairsByLanguage: Record<string, number> = {};
  const seen = new Set<string>();
  /** Chunks embedded again: id -> text to embed. */
  const reembed = new Map<number, string>();
  let skippedFiles = 0;
  const files = [...store.files.keys()].sort();
  for (const [i, rel] of files.entries()) {
    throwIfAborted(signal);
    options.onProgress?.('mining', i, files.length);
    const read = await readTextFile(path.join(engine.folder, rel), Number.MAX_SAFE_INTEGER);
    if (!read.ok || fileHashOf(read.text) !== store.files.get(rel)?.hash) {
      skippedFiles++;
      continue;
    }
    const pairs = await minePairs(rel, read.text);
    const blankedText = blankRanges(read.text, pairs.map((p) => ({ start: p.commentStart, end: p.commentEnd })));
    const blankedLines = blankedText.split(/\r?\n/);
    const chunks: ChunkRecord[] = store.chunksOfPath(rel);
    // From the blanked text: a mined doc comment (a main type's Javadoc) must not reach the other chunks' headers.
    const summary = fileSummary(rel, blankedText);
    for (const c of chunks) {
      docs.push({ id: c.id, text: blankedLines.slice(c.startLine - 1, c.endLine).join('\n'), path: rel, symbol: c.symbol ?? '', startLine: c.startLine, endLine: c.endLine });
      // The index's vector is of this chunk's text with its header; any other text is embedded again.
      const embedded = recordEmbeddingText(rel, c, blankedLines, summary);
      if (hashText(embedded) !== c.hash) reembed.set(c.id, embedded);
    }
    for (const p of pairs) {
      if (seen.has(p.query)) continue;
      const relevant = new Set(chunks.filter((c) => c.startLine <= p.endLine && p.startLine <= c.endLine).map((c) => c.id));
      if (relevant.size === 0) continue;
      seen.add(p.query);
      queries.push({ text: p.query, relevant });
      const ext = path.extname(rel).slice(1) || rel;
      pairsByLanguage[ext] = (pairsByLanguage[ext] ?? 0) + 1;
    }
  }
  options.onProgress?.('mining', files.length, files.length);
  if (queries.length < minPairs) {
    throw new KindredError(
      'eval-too-few-pairs',
      `Only ${queries.length} documented function${queries.length === 1 ? '' : 's'} (a doc comment of 3 words or more above the code) found in ${name}; at least ${minPairs} are needed. With ${Math.max(1, queries.length)}, one query alone moves the score by up to ${(1 / Math.max(1, queries.length)).toFixed(2)}, so the numbers would say nothing.`,
      'Evaluate a folder with more documented functions, or use `kindred eval cosqa` for a general benchmark.',
    );
  }

  // Passages embedded again, in batches; cancellable between batches.
  const started = performance.now();
  const ids = [...reembed.keys()];
  const fresh = new Map<number, Float32Array>();
  for (let i = 0; i < ids.length; i += EMBED_BATCH) {
    throwIfAborted(signal);
    const batch = ids.slice(i, i + EMBED_BATCH);
    const vectors = await runtime.embedPassages(batch.map((id) => reembed.get(id)!));
    batch.forEach((id, j) => fresh.set(id, vectors[j]));
    options.onProgress?.('embedding', Math.min(ids.length, i + EMBED_BATCH), ids.length);
  }
  const embedSeconds = (performance.now() - started) / 1000;

  // Each query: BM25 over the corpus as evaluated (comments blanked), vectors from the graph for chunks
  // that kept their indexed text and exactly for the re-embedded ones.
  const lexical = lexicalIndexOf(docs);
  const inCorpus = new Set(docs.map((d) => d.id));
  const fromGraph = (id: number): boolean => inCorpus.has(id) && !fresh.has(id);
  const depth = Math.min(MRR_CUTOFF, docs.length);
  const lists: QueryLists[] = [];
  for (const [i, q] of queries.entries()) {
    throwIfAborted(signal);
    const qv = engine.queryVector(await runtime.embedQuery(q.text));
    const vector: Ranked[] = store.nearest(qv, depth, fromGraph);
    for (const [id, v] of fresh) vector.push({ id, score: dot(v, qv) });
    vector.sort((a, b) => b.score - a.score);
    lists.push({ lexical: lexical.search(q.text, depth), fusionLexical: lexical.search(q.text, depth, undefined, { skipCommon: true }), vector: vector.slice(0, depth) });
    options.onProgress?.('ranking', i + 1, queries.length);
  }
  return {
    dataset: 'workspace',
    folder: engine.folder,
    model: store.model.id,
    dtype: store.model.dtype,
    modes: scoreModes(modes, queries, lists, undefined, stackCorpus(docs)),
    pairs: queries.length,
    pairsByLanguage,
    files: files.length - skippedFiles,
    corpus: docs.length,
    embedSeconds: Math.round(embedSeconds * 10) / 10,
    chunksPerSecond: embedSeconds > 0 ? Math.round((ids.length / embedSeconds) * 10) / 10 : null,
    threads: runtime.workers,
    adapter: engine.adapterActive,
    fromIndex: { reusedVectors: docs.length - fresh.size, embeddedPassages: fresh.size, skippedFiles },
  };
}
