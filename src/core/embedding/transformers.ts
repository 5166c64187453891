import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { KindredError } from '../errors';
import { cacheRoot } from '../paths';
import { modelInfo, type Dtype, type ModelInfo } from './models';

/** How to find a model: a local folder first; the Hugging Face Hub only when the user allowed it. */
export interface ModelSource {
  modelId: string;
  /** Folder holding `<model-id>/config.json` etc. */
  modelsDir: string;
  allowDownload: boolean;
  dtype: Dtype;
}

type Transformers = typeof import('@huggingface/transformers');
let lib: Transformers | undefined;

/** transformers.js is loaded lazily: it is large and only needed once a model is used. */
function transformers(): Transformers {
  lib ??= withoutSharp(() => require('@huggingface/transformers') as Transformers);
  return lib;
}

/** The id `sharp` resolves to when it is not installed (a module in require's cache, never a file). */
const NO_SHARP = '\0kindred:no-sharp';

/**
 * Loads `load()` with `require('sharp')` answering an empty module when sharp is not installed.
 * transformers.js requires sharp at load time for image inputs, which Kindred never uses; the VSIX
 * leaves sharp and its 20 MB of libvips out (.vscodeignore). With sharp installed (development) nothing
 * changes. transformers.js checks `sharp.default` before using it, so images just stay unsupported.
 */
function withoutSharp<T>(load: () => T): T {
  try {
    require.resolve('sharp');
    return load();
  } catch {
    // not installed: resolve it to the stub below while transformers.js loads
  }
  const Module = require('node:module') as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  Module._cache[NO_SHARP] ??= { id: NO_SHARP, filename: NO_SHARP, loaded: true, exports: {}, children: [], paths: [] };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'sharp' ? NO_SHARP : resolve.call(this, request, ...rest);
  };
  try {
    return load();
  } finally {
    Module._resolveFilename = resolve;
  }
}

const MODEL_FILE: Record<Dtype, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

/** Whether `<modelsDir>/<modelId>` holds the model's config and the weights of that precision. */
export function isModelInstalled(modelsDir: string, modelId: string, dtype: Dtype): boolean {
  const dir = path.join(modelsDir, modelId);
  return existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, MODEL_FILE[dtype]));
}

/**
 * Points transformers.js at the model and checks it is there. Without `allowDownload`
 * no request ever leaves the machine: remote models are switched off.
 */
function configure(source: ModelSource): { id: string; local: boolean } {
  const { env } = transformers();
  const localDir = path.join(source.modelsDir, source.modelId);
  const local = existsSync(path.join(localDir, 'config.json')) && existsSync(path.join(localDir, MODEL_FILE[source.dtype]));
  env.allowLocalModels = true;
  env.localModelPath = source.modelsDir.endsWith(path.sep) ? source.modelsDir : source.modelsDir + path.sep;
  env.allowRemoteModels = !local && source.allowDownload;
  env.cacheDir = path.join(cacheRoot(), 'hub');
  if (!local && !source.allowDownload) {
    const partial = existsSync(localDir);
    throw new KindredError(
      'model-missing',
      partial
        ? `Model "${source.modelId}" in ${localDir} is incomplete (no config.json or ${MODEL_FILE[source.dtype]}).`
        : `Model "${source.modelId}" is not in ${source.modelsDir}.`,
      'Run `npm run setup` to provision it, point --models-dir (or KINDRED_MODELS_DIR, or the kindred.modelsDir setting) at a folder that has it, or allow downloading with --allow-download.',
    );
  }
  return { id: source.modelId, local };
}

function loadError(source: ModelSource, e: unknown): KindredError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/not found locally|Could not locate file|file was not found/i.test(msg)) {
    return new KindredError('model-missing', `Model "${source.modelId}" could not be found: ${msg.split('\n')[0]}`, 'Run `npm run setup`, or allow downloading with --allow-download.');
  }
  return new KindredError('model-broken', `Model "${source.modelId}" failed to load: ${msg.split('\n')[0]}`, 'Delete its folder and provision it again (`npm run setup`).');
}

export interface LoadedModel {
  info: ModelInfo;
  /** Embeds texts as-is (prefixes already applied); returns one normalized vector per text. */
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Loads the model in this thread. The engine does this inside its embedding workers. */
export async function loadModel(source: ModelSource, threads = 1): Promise<LoadedModel> {
  const { pipeline } = transformers();
  const { id } = configure(source);
  let extractor: Awaited<ReturnType<typeof pipeline<'feature-extraction'>>>;
  try {
    extractor = await pipeline('feature-extraction', id, {
      dtype: source.dtype,
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
  } catch (e) {
    throw loadError(source, e);
  }
  const base = modelInfo(source.modelId);
  const config = extractor.model.config as unknown as { hidden_size?: number };
  const info: ModelInfo = { ...base, dims: config.hidden_size ?? base.dims };
  return {
    info,
    async embed(texts) {
      if (texts.length === 0) return [];
      // The pipeline's own steps (tokenize, model, pool, normalize) with the pooling done here on plain
      // arrays: the pipeline pools and normalizes through Tensor operations, ~10% of a one-chunk call.
      const inputs = extractor.tokenizer(texts, { padding: true, truncation: true });
      const outputs = (await extractor.model(inputs)) as Record<string, TensorLike | undefined>;
      const hidden = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
      if (!hidden) throw new Error(`the model ${source.modelId} returned no token embeddings`);
      const vectors = pool(hidden, (inputs as { attention_mask: TensorLike }).attention_mask, info.pooling);
      for (const t of Object.values(outputs)) t?.dispose?.();
      return vectors;
    },
    async dispose() {
      await extractor.dispose();
    },
  };
}

interface TensorLike {
  data: ArrayLike<number | bigint>;
  dims: number[];
  dispose?(): void;
}

/**
 * One normalized vector per text from token embeddings [texts, tokens, dims]: the mean over the tokens
 * the attention mask keeps (padding left out), or the first token's (CLS).
 */
export function pool(hidden: TensorLike, mask: TensorLike, pooling: 'mean' | 'cls'): Float32Array[] {
  const [n, len, dims] = hidden.dims;
  const h = hidden.data as Float32Array;
  const m = mask.data;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(dims);
    if (pooling === 'cls') v.set(h.subarray(i * len * dims, i * len * dims + dims));
    else {
      let kept = 0;
      for (let j = 0; j < len; j++) {
        if (Number(m[i * len + j]) === 0) continue;
        kept++;
        const off = (i * len + j) * dims;
        for (let d = 0; d < dims; d++) v[d] += h[off + d];
      }
      if (kept > 0) for (let d = 0; d < dims; d++) v[d] /= kept;
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) v[d] /= norm;
    out.push(v);
  }
  return out;
}

export interface Tokenizer {
  /** Tokens in `text` without special tokens. */
  count(text: string): number;
}

/** Loads only the tokenizer (fast, small): the chunker counts tokens with it in the caller's thread. */
export async function loadTokenizer(source: ModelSource): Promise<Tokenizer> {
  const { AutoTokenizer } = transformers();
  const { id } = configure(source);
  let tok: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tok = await AutoTokenizer.from_pretrained(id);
  } catch (e) {
    throw loadError(source, e);
  }
  return { count: (text) => tok.encode(text, { add_special_tokens: false }).length };
}
