import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { lengthBatches } from '../embedding/batching';
import type { ModelRuntime } from '../embedding/runtime';
import { cacheRoot } from '../paths';

/**
 * The longest prefix of `text` within `budget` tokens: what the model sees of a document too long for it
 * (sentence-transformers cuts at the model's sequence limit the same way).
 */
export function truncateToTokens(text: string, budget: number, countTokens: (t: string) => number): string {
  if (countTokens(text) <= budget) return text;
  // Binary search on characters: the count grows with the prefix.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(text.slice(0, mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/** n vectors of `dims` floats, row-major, normalized (inner product is cosine similarity). */
export interface VectorMatrix {
  dims: number;
  data: Float32Array;
}

export interface EmbedCorpusResult {
  vectors: VectorMatrix;
  /** Seconds spent embedding (read from the cache: the seconds of the run that filled it). */
  seconds: number;
  /** Embedding workers of the run that computed the vectors. */
  workers: number;
  cached: boolean;
  cacheFile?: string;
}

export interface EmbedCorpusOptions {
  /** Cache folder; default `<cache>/eval`. `false`: no cache. */
  cacheDir?: string | false;
  onProgress?: (done: number, total: number) => void;
  /** Stops between batches (rejects with the signal's AbortError); nothing is cached then. */
  signal?: AbortSignal;
}

/**
 * Embeds documents with the runtime's model as the indexer does (batches of similar length,
 * every worker fed), each text first cut to the model's token limit. Vectors are cached on
 * disk under a hash of the model, its precision, the budget and the texts.
 */
export async function embedCorpus(runtime: ModelRuntime, texts: readonly string[], options: EmbedCorpusOptions = {}): Promise<EmbedCorpusResult> {
  const budget = runtime.chunkTokens;
  const { modelId, dtype } = runtime.source;
  const hash = createHash('sha256').update(JSON.stringify([modelId, dtype, budget, runtime.info.passagePrefix])).update(texts.join('\u0000')).digest('hex').slice(0, 16);
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? path.join(cacheRoot(), 'eval'));
  const cacheFile = cacheDir ? path.join(cacheDir, `${modelId.replace(/[^A-Za-z0-9._-]/g, '_')}-${dtype}-${hash}.f32`) : undefined;
  const dims = runtime.info.dims;
  if (cacheFile) {
    const buf = await fs.readFile(cacheFile).catch(() => undefined);
    const meta = await fs
      .readFile(`${cacheFile}.json`, 'utf8')
      .then((t) => JSON.parse(t) as { seconds: number; workers: number })
      .catch(() => undefined);
    if (buf && meta && buf.length === texts.length * dims * 4) {
      const data = new Float32Array(texts.length * dims);
      new Uint8Array(data.buffer).set(buf);
      return { vectors: { dims, data }, seconds: meta.seconds, workers: meta.workers, cached: true, cacheFile };
    }
  }

  const started = performance.now();
  const cut = texts.map((t) => truncateToTokens(t, budget, (s) => runtime.countTokens(s)));
  const batches = lengthBatches(cut.map((_, i) => i), (i) => cut[i].length);

  const data = new Float32Array(texts.length * dims);
  let next = 0;
  let done = 0;
  const runOne = async (): Promise<void> => {
    while (next < batches.length) {
      options.signal?.throwIfAborted();
      const batch = batches[next++];
      const vectors = await runtime.embedPassages(batch.map((i) => cut[i]));
      batch.forEach((docIndex, j) => data.set(vectors[j], docIndex * dims));
      done += batch.length;
      options.onProgress?.(done, texts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, runtime.workers * 2) }, runOne));
  options.signal?.throwIfAborted();
  const seconds = (performance.now() - started) / 1000;

  if (cacheFile) {
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await fs.rename(tmp, cacheFile);
    await fs.writeFile(`${cacheFile}.json`, JSON.stringify({ seconds, workers: runtime.workers, texts: texts.length, dims }));
  }
  return { vectors: { dims, data }, seconds, workers: runtime.workers, cached: false, cacheFile };
}

/** Exact nearest rows by inner product, best first: the top `limit` as {index, score}. */
export function nearestRows(matrix: VectorMatrix, query: Float32Array, limit: number): { index: number; score: number }[] {
  const { dims, data } = matrix;
  const n = data.length / dims;
  const scores = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    const off = r * dims;
    for (let d = 0; d < dims; d++) s += data[off + d] * query[d];
    scores[r] = s;
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, limit).map((index) => ({ index, score: scores[index] }));
}
