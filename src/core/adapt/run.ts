/**
 * `adapt`: mines pairs from a folder, trains the query adapter on part of them, measures it on held-out
 * pairs (files never seen in training) and on CoSQA (general queries must not get worse), and stores it
 * beside the index, switched on only when it is measured better.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../cluster/vecmath';
import type { ModelRuntime } from '../embedding/runtime';
import { KindredError } from '../errors';
import { checkCosqaDir, loadCosqaCorpus, loadCosqaQueries } from '../eval/cosqa';
import { embedCorpus } from '../eval/embed';
import { cacheRoot } from '../paths';
import { ADAPTER_FORMAT, QueryAdapter, type AdapterHeader } from './adapter';
import { mineTrainingPairs, PAIR_KINDS, splitByFile, type PairKind, type TrainingPair } from './pairs';
import { retrievalMetrics, TRAIN_DEFAULTS, trainAdapterAsync, type Matrix, type TrainOptions } from './train';

import { MAX_COSQA_DROP, MIN_HELD_OUT_GAIN } from '../../shared/adaptGate';

export { MAX_COSQA_DROP, MIN_HELD_OUT_GAIN };
/** Fewer training pairs than this: no training (the report says so). */
export const MIN_TRAIN_PAIRS = 50;

export interface Scores {
  MRR: number;
  'R@10': number;
}

export interface AdaptReport {
  pairs: number;
  train: number;
  heldOut: number;
  validation: number;
  kinds: Record<PairKind, number>;
  /** Held-out pairs per kind, before and after. */
  heldOutByKind: Partial<Record<PairKind, { n: number; before: Scores; after: Scores }>>;
  before: Scores;
  after: Scores;
  /** Passages the held-out queries are ranked among (every mined target). */
  gallery: number;
  cosqa?: { before: Scores; after: Scores; queries: number };
  enabled: boolean;
  reason?: string;
  epochs: number;
  bestEpoch: number;
  /** Validation MRR of the kept weights (epoch 0: the unadapted model). */
  validationMRR: number;
  seed: number;
  model: string;
  dtype: string;
  seconds: number;
  trainSeconds: number;
  file?: string;
}

export interface AdaptOptions {
  seed?: number;
  exclude?: readonly string[];
  maxFileBytes?: number;
  /** CoSQA folder for the general-query check; without it the adapter is not switched on. */
  cosqaDir?: string;
  /** Where the vectors are cached (default `<cache>/adapt`; CoSQA's corpus shares eval's cache). */
  cacheDir?: string;
  /** Index directory to store the adapter in; nothing is written when undefined. */
  save?: (adapter: QueryAdapter) => Promise<string>;
  /** Called with the split pairs (e.g. to export them), before training. */
  onPairs?: (pairs: { split: 'train' | 'validation' | 'heldOut'; pair: TrainingPair }[]) => Promise<void>;
  onProgress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
  /** Train only on pairs of these kinds (experiments; held-out and validation keep every kind). Default: all. */
  trainKinds?: readonly PairKind[];
  /** The index's files when training started (path → content fingerprint), recorded so edits since can be counted. */
  trainedOn?: Record<string, string>;
  /** Training settings other than the defaults (experiments). */
  train?: Pick<TrainOptions, 'temperature' | 'l2' | 'learningRate' | 'batchSize' | 'maxEpochs' | 'patience'>;
}

/** Query embeddings, cached like embedCorpus's passages (keyed by model, precision and texts). */
export async function embedQueries(runtime: ModelRuntime, texts: readonly string[], cacheDir: string | false, onProgress?: (d: number, t: number) => void, signal?: AbortSignal): Promise<Matrix> {
  const dims = runtime.info.dims;
  const { modelId, dtype } = runtime.source;
  const hash = createHash('sha256').update(JSON.stringify(['query', modelId, dtype, runtime.info.queryPrefix ?? ''])).update(texts.join('\u0000')).digest('hex').slice(0, 16);
  const file = cacheDir ? path.join(cacheDir, `${modelId.replace(/[^A-Za-z0-9._-]/g, '_')}-${dtype}-q-${hash}.f32`) : undefined;
  if (file) {
    const buf = await fs.readFile(file).catch(() => undefined);
    if (buf && buf.length === texts.length * dims * 4) {
      const data = new Float32Array(texts.length * dims);
      new Uint8Array(data.buffer).set(buf);
      return { dims, data };
    }
  }
  const data = new Float32Array(texts.length * dims);
  let next = 0;
  let done = 0;
  const one = async (): Promise<void> => {
    while (next < texts.length) {
      signal?.throwIfAborted();
      const i = next++;
      data.set(await runtime.embedQuery(texts[i]), i * dims);
      onProgress?.(++done, texts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, runtime.workers * 2) }, one));
  signal?.throwIfAborted();
  if (file) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, new Uint8Array(data.buffer));
    await fs.rename(tmp, file);
  }
  return { dims, data };
}

function rows(m: Matrix, idx: readonly number[]): Matrix {
  const out = new Float32Array(idx.length * m.dims);
  idx.forEach((r, i) => out.set(m.data.subarray(r * m.dims, (r + 1) * m.dims), i * m.dims));
  return { dims: m.dims, data: out };
}

function round(s: Scores): Scores {
  return { MRR: Math.round(s.MRR * 10000) / 10000, 'R@10': Math.round(s['R@10'] * 10000) / 10000 };
}

/** CoSQA test: vector-search MRR / R@10 of its queries over its corpus, with and without W. */
export async function cosqaCheck(
  runtime: ModelRuntime,
  dir: string,
  w: Float32Array | undefined,
  onProgress?: (phase: string, d: number, t: number) => void,
  signal?: AbortSignal,
): Promise<{ before: Scores; after: Scores; queries: number }> {
  await checkCosqaDir(dir);
  const corpus = await loadCosqaCorpus(dir);
  const queries = await loadCosqaQueries(dir, 'test');
  const embedded = await embedCorpus(
    runtime,
    corpus.map((f) => f.code),
    { onProgress: (d, t) => onProgress?.('embedding', d, t), signal },
  );
  const row = new Map(corpus.map((f, i) => [f.id, i]));
  const known = queries.filter((q) => row.has(q.target));
  const qv = await embedQueries(
    runtime,
    known.map((q) => q.query),
    path.join(cacheRoot(), 'eval'),
    (d, t) => onProgress?.('queries', d, t),
    signal,
  );
  const targets = known.map((q) => row.get(q.target)!);
  const before = retrievalMetrics(qv, embedded.vectors, targets);
  const after = w ? retrievalMetrics(qv, embedded.vectors, targets, w) : before;
  return { before: round(before), after: round(after), queries: known.length };
}

export async function adaptWorkspace(folder: string, runtime: ModelRuntime, options: AdaptOptions = {}): Promise<{ report: AdaptReport; adapter?: QueryAdapter }> {
  const started = performance.now();
  const seed = options.seed ?? TRAIN_DEFAULTS.seed;
  const cacheDir = options.cacheDir ?? path.join(cacheRoot(), 'adapt');
  const progress = options.onProgress ?? (() => {});
  const mined = await mineTrainingPairs(folder, {
    exclude: options.exclude,
    maxFileBytes: options.maxFileBytes,
    onProgress: (d, t) => {
      options.signal?.throwIfAborted();
      progress('mining', d, t);
    },
  });
  options.signal?.throwIfAborted();
  const split = splitByFile(mined.pairs, { seed, random: seededRandom });
  await options.onPairs?.([
    ...split.train.map((pair) => ({ split: 'train' as const, pair })),
    ...split.validation.map((pair) => ({ split: 'validation' as const, pair })),
    ...split.heldOut.map((pair) => ({ split: 'heldOut' as const, pair })),
  ]);
  const base = {
    pairs: mined.pairs.length,
    train: split.train.length,
    heldOut: split.heldOut.length,
    validation: split.validation.length,
    kinds: mined.kinds,
    seed,
    model: runtime.source.modelId,
    dtype: runtime.source.dtype,
  };
  if (split.train.length < MIN_TRAIN_PAIRS || split.heldOut.length === 0 || split.validation.length === 0) {
    throw new KindredError(
      'adapt-too-few-pairs',
      `Only ${mined.pairs.length} training pairs in ${path.resolve(folder)} (${split.train.length} for training, at least ${MIN_TRAIN_PAIRS} needed, and files left over to measure on).`,
      'Adapting needs documented functions, Markdown sections, tests or named definitions to learn from.',
    );
  }

  // Every distinct target is one passage of the gallery the queries are ranked in.
  const galleryIndex = new Map<string, number>();
  for (const p of mined.pairs) if (!galleryIndex.has(p.target)) galleryIndex.set(p.target, galleryIndex.size);
  const gallery = (await embedCorpus(runtime, [...galleryIndex.keys()], { cacheDir, onProgress: (d, t) => progress('embedding', d, t), signal: options.signal })).vectors;
  // Queries embedded in mining order (not split order), so every seed's split reads the same cached vectors.
  const qMined = await embedQueries(
    runtime,
    mined.pairs.map((p) => p.query),
    cacheDir,
    (d, t) => progress('queries', d, t),
    options.signal,
  );
  const rowOf = new Map(mined.pairs.map((p, i) => [p, i]));
  const part = (pairs: TrainingPair[]): { q: Matrix; t: number[]; pairs: TrainingPair[] } => ({
    q: rows(
      qMined,
      pairs.map((p) => rowOf.get(p)!),
    ),
    t: pairs.map((p) => galleryIndex.get(p.target)!),
    pairs,
  });
  const tr = part(options.trainKinds ? split.train.filter((p) => options.trainKinds!.includes(p.kind)) : split.train);
  const va = part(split.validation);
  const ho = part(split.heldOut);

  const trainStart = performance.now();
  let epochsDone = 0;
  const result = await trainAdapterAsync(tr.q, gallery, tr.t, {
    ...options.train,
    seed,
    validate: (w) => retrievalMetrics(va.q, gallery, va.t, w).MRR,
    onEpoch: (e) => progress('training', (epochsDone = e), TRAIN_DEFAULTS.maxEpochs),
    cancelled: () => options.signal?.aborted ?? false,
  });
  // Cancelled: nothing is saved (throws the signal's AbortError).
  options.signal?.throwIfAborted();
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const before = retrievalMetrics(ho.q, gallery, ho.t);
  const after = retrievalMetrics(ho.q, gallery, ho.t, result.weights);
  const heldOutByKind: AdaptReport['heldOutByKind'] = {};
  for (const k of PAIR_KINDS) {
    const idx = ho.pairs.flatMap((p, i) => (p.kind === k ? [i] : []));
    if (!idx.length) continue;
    const q = rows(ho.q, idx);
    const t = idx.map((i) => ho.t[i]);
    heldOutByKind[k] = { n: idx.length, before: round(retrievalMetrics(q, gallery, t)), after: round(retrievalMetrics(q, gallery, t, result.weights)) };
  }

  let cosqa: AdaptReport['cosqa'];
  let reason: string | undefined;
  const gain = after.MRR - before.MRR;
  if (result.bestEpoch === 0) reason = 'no training epoch beat the unadapted model on the validation pairs';
  else if (gain < MIN_HELD_OUT_GAIN) reason = `held-out MRR gain ${gain.toFixed(4)} is below +${MIN_HELD_OUT_GAIN}`;
  if (options.cosqaDir) {
    cosqa = await cosqaCheck(runtime, options.cosqaDir, result.weights, (phase, d, t) => progress(`check-${phase}`, d, t), options.signal).catch((e) => {
      if (options.signal?.aborted) throw e;
      reason ??= `the general-query check (CoSQA) could not run: ${(e as Error).message}`;
      return undefined;
    });
    const drop = cosqa ? cosqa.before.MRR - cosqa.after.MRR : 0;
    if (cosqa && drop > MAX_COSQA_DROP) reason ??= `CoSQA MRR drops by ${drop.toFixed(4)} (more than ${MAX_COSQA_DROP})`;
  } else reason ??= 'no general-query check (CoSQA data not given): kept off';
  const enabled = reason === undefined;
  const report: AdaptReport = {
    ...base,
    heldOutByKind,
    before: round(before),
    after: round(after),
    gallery: galleryIndex.size,
    ...(cosqa ? { cosqa } : {}),
    enabled,
    ...(reason ? { reason } : {}),
    epochs: epochsDone,
    bestEpoch: result.bestEpoch,
    validationMRR: Math.round(result.validation[result.bestEpoch] * 10000) / 10000,
    seconds: 0,
    trainSeconds: Math.round(trainSeconds * 10) / 10,
  };
  const header: AdapterHeader = {
    format: ADAPTER_FORMAT,
    model: runtime.source.modelId,
    dtype: runtime.source.dtype,
    dims: runtime.info.dims,
    enabled,
    ...(reason ? { reason } : {}),
    createdAt: new Date().toISOString(),
    ...(options.trainedOn ? { trainedOn: options.trainedOn } : {}),
    report: { ...report },
  };
  const adapter = new QueryAdapter(header, result.weights);
  // Cancelled while measuring: nothing is saved.
  options.signal?.throwIfAborted();
  if (options.save) report.file = await options.save(adapter);
  report.seconds = Math.round(((performance.now() - started) / 1000) * 10) / 10;
  return { report, adapter };
}
