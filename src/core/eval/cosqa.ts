import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelRuntime } from '../embedding/runtime';
import { KindredError } from '../errors';
import type { FusionParams } from '../search';
import { embedCorpus, type EmbedCorpusResult } from './embed';
import type { Metrics } from './metrics';
import type { LexicalDoc } from '../index/lexical';
import { retrieve, scoreModes, stackCorpus, type EvalMode, type EvalQuery, type QueryLists } from './retrieval';

/**
 * The CoSQA retrieval set (CoCLR's data/search): a corpus of Python functions and real web
 * queries, each with the id of its one relevant function. The data is not shipped: the caller
 * passes the folder.
 */
export interface CosqaFunction {
  id: number;
  code: string;
}

export interface CosqaQuery {
  query: string;
  /** Id of the relevant function. */
  target: number;
}

export type CosqaSplit = 'dev' | 'test';

export const COSQA_FILES = {
  corpus: 'code_idx_map.txt',
  dev: 'cosqa-retrieval-dev-500.json',
  test: 'cosqa-retrieval-test-500.json',
} as const;

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new KindredError(
      'not-found',
      `CoSQA file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
      `Point --data at a folder holding ${COSQA_FILES.corpus}, ${COSQA_FILES.dev} and ${COSQA_FILES.test}.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KindredError('bad-argument', `CoSQA file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The corpus, ordered by id: `code_idx_map.txt` maps each function's source to its id. */
export async function loadCosqaCorpus(dir: string): Promise<CosqaFunction[]> {
  const file = path.join(dir, COSQA_FILES.corpus);
  const map = await readJson(file);
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new KindredError('bad-argument', `${file} is not a JSON object of code -> id.`);
  const corpus = Object.entries(map as Record<string, unknown>).map(([code, id]) => ({ code, id: Number(id) }));
  if (corpus.some((f) => !Number.isInteger(f.id))) throw new KindredError('bad-argument', `${file} has a non-integer id.`);
  return corpus.sort((a, b) => a.id - b.id);
}

/** One split's queries (`doc` is the query, `retrieval_idx` the relevant function's id, a number or a string). */
export async function loadCosqaQueries(dir: string, split: CosqaSplit): Promise<CosqaQuery[]> {
  const file = path.join(dir, COSQA_FILES[split]);
  const rows = await readJson(file);
  if (!Array.isArray(rows)) throw new KindredError('bad-argument', `${file} is not a JSON array.`);
  return rows.map((r: { doc?: unknown; retrieval_idx?: unknown }, i) => {
    const target = Number(r.retrieval_idx);
    if (typeof r.doc !== 'string' || !Number.isInteger(target)) throw new KindredError('bad-argument', `${file}: entry ${i} has no doc or retrieval_idx.`);
    return { query: r.doc, target };
  });
}

/** Checks the folder exists before any work, with a clear message. */
export async function checkCosqaDir(dir: string): Promise<void> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new KindredError(
      'not-found',
      `CoSQA data folder ${dir} does not exist.`,
      `Pass --data DIR (a folder with ${COSQA_FILES.corpus} and the cosqa-retrieval-{dev,test}-500.json files; the default is ../shared/eval/cosqa from the current folder).`,
    );
  }
}

/** The function's name, as the chunker would give it for a one-function file (`def name(`). */
export function pythonFunctionName(code: string): string {
  return /^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(code)?.[1] ?? '';
}

export interface CosqaReport {
  dataset: 'cosqa';
  split: CosqaSplit;
  model: string | null;
  dtype: string | null;
  modes: Partial<Record<EvalMode, Metrics>>;
  corpus: number;
  queries: number;
  embedSeconds: number | null;
  chunksPerSecond: number | null;
  /** Embedding workers (threads) of the run that computed the vectors. */
  threads: number | null;
  /** True when the corpus vectors were read from the cache (then embedSeconds is the original run's). */
  cached?: boolean;
}

export interface CosqaEvalOptions {
  split: CosqaSplit;
  modes: readonly EvalMode[];
  fusion?: FusionParams;
  cacheDir?: string | false;
  onProgress?: (phase: 'embedding' | 'ranking', done: number, total: number) => void;
}

/** Corpus, queries and ranked lists for one split: what scoring and fusion tuning start from. */
export async function cosqaRankings(
  dir: string,
  runtime: ModelRuntime | undefined,
  options: Pick<CosqaEvalOptions, 'split' | 'cacheDir' | 'onProgress'>,
): Promise<{ corpus: CosqaFunction[]; docs: LexicalDoc[]; queries: EvalQuery[]; lists: QueryLists[]; embedded?: EmbedCorpusResult }> {
  await checkCosqaDir(dir);
  const corpus = await loadCosqaCorpus(dir);
  const raw = await loadCosqaQueries(dir, options.split);
  const docs = corpus.map((f) => ({ id: f.id, text: f.code, path: '', symbol: pythonFunctionName(f.code) }));
  const embedded = runtime
    ? await embedCorpus(
        runtime,
        corpus.map((f) => f.code),
        { cacheDir: options.cacheDir, onProgress: (d, t) => options.onProgress?.('embedding', d, t) },
      )
    : undefined;
  const queries = raw.map((q) => ({ text: q.query, relevant: new Set([q.target]) }));
  const lists = await retrieve(runtime, docs, embedded?.vectors, queries, { onProgress: (d, t) => options.onProgress?.('ranking', d, t) });
  return { corpus, docs, queries, lists, embedded };
}

/** Scores bm25 / vector / hybrid on one CoSQA split. `runtime` may be omitted for bm25 alone. */
export async function evaluateCosqa(dir: string, runtime: ModelRuntime | undefined, options: CosqaEvalOptions): Promise<CosqaReport> {
  const modes = runtime ? options.modes : options.modes.filter((m) => m === 'bm25');
  const { corpus, docs, queries, lists, embedded } = await cosqaRankings(dir, runtime, options);
  const seconds = embedded ? embedded.seconds : null;
  return {
    dataset: 'cosqa',
    split: options.split,
    model: runtime?.source.modelId ?? null,
    dtype: runtime?.source.dtype ?? null,
    modes: scoreModes(modes, queries, lists, options.fusion, stackCorpus(docs)),
    corpus: corpus.length,
    queries: queries.length,
    embedSeconds: seconds === null ? null : Math.round(seconds * 10) / 10,
    chunksPerSecond: seconds ? Math.round((corpus.length / seconds) * 10) / 10 : null,
    threads: embedded?.workers ?? null,
    ...(embedded?.cached ? { cached: true } : {}),
  };
}
