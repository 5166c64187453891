import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES } from './discovery';
import { defaultThreads } from './embedding/pool';
import { APPROXIMATE_TOKEN_MARGIN, approximateTokens } from './embedding/approximate';
import { ModelRuntime } from './embedding/runtime';
import { DEFAULT_MODEL_ID, modelInfo, type Dtype, type ModelInfo } from './embedding/models';
import type { ModelSource } from './embedding/transformers';
import { KindredError, isKindredError } from './errors';
import { updateIndex, type EmbedDeps, type Progress, type UpdateSummary } from './indexer';
import { clearIndexDir, FORMAT_VERSION, IndexLock, IndexStore, type ModelKey } from './index/store';
import { silentLogger, type Logger } from './log';
import { defaultIndexDir, defaultModelsDir } from './paths';
import { rank, toHits, type SearchHit, type SearchMode } from './search';
import { readTextFile } from './text';
import { loadAdapter, type QueryAdapter } from './adapt/adapter';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Said once when an engine opens without a model. */
export const DEGRADED_NOTE = 'Until then Kindred searches by keywords (BM25) only; the index is kept and embedded once the model is available.';

export interface EngineOptions {
  folder: string;
  /** Defaults to a per-folder directory under the user's cache. */
  indexDir?: string;
  modelId?: string;
  /** Folder of local models (`<dir>/<model-id>/...`). */
  modelsDir?: string;
  /** Allow downloading the model from the Hugging Face Hub when it is not local. Off by default. */
  allowDownload?: boolean;
  dtype?: Dtype;
  /** Embedding worker threads; default: all cores but one. */
  threads?: number;
  /** gitignore-style patterns; default DEFAULT_EXCLUDES. */
  exclude?: readonly string[];
  maxFileBytes?: number;
  logger?: Logger;
  /**
   * Open even when the model cannot be loaded (missing, broken, download not allowed): the index
   * and keyword (BM25) search keep working, new chunks are indexed for keywords only (embedded once
   * a model is there), vector and hybrid search fall back to BM25. `Engine.degraded` says why.
   */
  allowMissingModel?: boolean;
}

/** Model errors a degraded engine survives (see EngineOptions.allowMissingModel). */
export function isModelError(e: unknown): e is KindredError {
  return isKindredError(e) && (e.code === 'model-missing' || e.code === 'model-broken' || e.code === 'model-download-disabled');
}

export interface EngineStats {
  folder: string;
  indexDir: string;
  files: number;
  chunks: number;
  vectors: number;
  model: string;
  dtype: Dtype;
  dimension: number;
  bytesOnDisk: number;
  bytesPerChunk: number;
  /** Set when no model is loaded (keyword search only): the reason and the fix. */
  degraded?: string;
  /** Whether a query adapter (`kindred adapt`) is applied to search queries (always set by `Engine.stats`). */
  adapter?: boolean;
}

/**
 * One folder's search engine: the index, the embedding workers and the tokenizer.
 * The CLI, the extension's worker and the tests all drive this class.
 */
export class Engine {
  private constructor(
    readonly folder: string,
    readonly indexDir: string,
    private store: IndexStore,
    /** Undefined when the engine is degraded (no model). */
    readonly runtime: ModelRuntime | undefined,
    private readonly ownsRuntime: boolean,
    private readonly options: Required<Pick<EngineOptions, 'maxFileBytes' | 'exclude'>> & { logger: Logger },
    /** Why there is no model (keyword search only), or undefined. */
    readonly degraded?: KindredError,
  ) {}

  private fallbackNoted = false;
  /** The enabled query adapter for this model, if `kindred adapt` stored one (applied to query vectors only). */
  private adapter?: QueryAdapter;

  /** (Re)reads the query adapter stored beside the index; only an enabled adapter for this model is kept. */
  async reloadAdapter(): Promise<boolean> {
    const key = { model: this.store.model.id, dtype: this.store.model.dtype, dims: this.store.model.dims };
    const a = await loadAdapter(this.indexDir, key, (e) => this.options.logger.warn(`Query adapter ignored: ${(e as Error).message}`));
    this.adapter = a?.enabled ? a : undefined;
    return !!this.adapter;
  }

  /** Whether searches apply a query adapter (unless asked not to). */
  get adapterActive(): boolean {
    return !!this.adapter;
  }

  /**
   * Opens (or creates) the folder's index. Pass `runtime` to share a loaded model between engines,
   * or `modelError` (with `allowMissingModel`) when the caller already knows the model cannot load:
   * the engine opens degraded without trying again and without logging (the caller reports it).
   */
  static async open(options: EngineOptions, runtime?: ModelRuntime, modelError?: KindredError): Promise<Engine> {
    const logger = options.logger ?? silentLogger;
    const folder = path.resolve(options.folder);
    const st = await fs.stat(folder).catch(() => undefined);
    if (!st?.isDirectory()) throw new KindredError('not-found', `Folder ${folder} does not exist or is not a directory.`);
    const indexDir = path.resolve(options.indexDir ?? defaultIndexDir(folder));
    const source: ModelSource = {
      modelId: options.modelId ?? DEFAULT_MODEL_ID,
      modelsDir: path.resolve(options.modelsDir ?? defaultModelsDir()),
      allowDownload: options.allowDownload ?? false,
      dtype: options.dtype ?? 'q8',
    };
    const settings = { maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, exclude: options.exclude ?? DEFAULT_EXCLUDES, logger };
    let owned = false;
    if (!runtime && !(options.allowMissingModel && modelError)) {
      try {
        runtime = await ModelRuntime.start(source, options.threads ?? defaultThreads());
        owned = true;
      } catch (e) {
        if (!options.allowMissingModel || !isModelError(e)) throw e;
        modelError = e;
        logger.warn(`${e.toUserString()} ${DEGRADED_NOTE}`);
      }
    }
    try {
      let key: ModelKey;
      if (runtime) key = { id: runtime.source.modelId, dtype: runtime.source.dtype, dims: runtime.info.dims };
      else {
        // Degraded: the index on disk is kept as it is, whatever model built it (a missing model never
        // costs vectors already computed); a new index is keyed to the configured model, so its chunks
        // are embedded once that model is there.
        const onDisk = await IndexStore.peek(indexDir);
        key = onDisk?.format === FORMAT_VERSION ? onDisk.model : { id: source.modelId, dtype: source.dtype, dims: modelInfo(source.modelId).dims || 1 };
      }
      const store = await openOrCreate(indexDir, folder, key, logger);
      const engine = new Engine(folder, indexDir, store, runtime, owned, settings, runtime ? undefined : modelError);
      if (runtime) await engine.reloadAdapter();
      return engine;
    } catch (e) {
      if (owned) await runtime?.close();
      throw e;
    }
  }

  get model(): ModelInfo {
    return this.runtime?.info ?? { ...modelInfo(this.store.model.id), dims: this.store.model.dims };
  }

  /** The in-memory index (read-only use: tests, clustering, stats). */
  get index(): IndexStore {
    return this.store;
  }

  /**
   * Brings the index up to date with the folder (incrementally). Takes the index's write lock;
   * if another process saved a newer generation meanwhile, that one is loaded first.
   */
  async update(
    opts: { onProgress?: (p: Progress) => void; signal?: AbortSignal; priority?: ReadonlySet<string>; only?: readonly string[]; checkpointMs?: number } = {},
  ): Promise<UpdateSummary> {
    const lock = await IndexLock.acquire(this.indexDir);
    try {
      const onDisk = await IndexStore.peek(this.indexDir);
      if (onDisk && onDisk.generation !== this.store.generationNumber) {
        this.store = await openOrCreate(this.indexDir, this.folder, this.store.model, this.options.logger);
      }
      const runtime = this.runtime;
      const info = modelInfo(this.store.model.id);
      const deps: EmbedDeps = runtime
        ? {
            embedPassages: (texts) => runtime.embedPassages(texts),
            countTokens: (t) => runtime.countTokens(t),
            chunkTokens: Math.round(runtime.chunkTokens * Number(process.env.KINDRED_CHUNK_SPAN ?? 1)),
            concurrency: runtime.workers * 2,
          }
        : // No model: chunks are indexed for keywords and stay pending until a model embeds them.
          { countTokens: approximateTokens, chunkTokens: Math.floor((info.maxTokens - approximateTokens(info.passagePrefix) - 2) * APPROXIMATE_TOKEN_MARGIN), concurrency: 1 };
      return await updateIndex(
        this.store,
        this.folder,
        deps,
        { exclude: this.options.exclude, maxFileBytes: this.options.maxFileBytes, logger: this.options.logger, ...opts },
      );
    } finally {
      await lock.release();
    }
  }

  /**
   * Ranks the folder's chunks for a query. `stack` (default: on for hybrid) re-ranks the fused candidates
   * with the ranking rules; `disabledRules` leaves some out (evaluation).
   */
  async search(query: string, opts: { k?: number; mode?: SearchMode; stack?: boolean; disabledRules?: ReadonlySet<string>; adapter?: boolean } = {}): Promise<SearchHit[]> {
    const q = query.trim();
    if (!q) return [];
    const mode = this.effectiveMode(opts.mode ?? 'hybrid');
    const vector = mode === 'bm25' ? undefined : this.queryVector(await this.runtime!.embedQuery(q), opts.adapter);
    return toHits(this.store, this.folder, rank(this.store, q, vector, { k: opts.k ?? 10, mode, stack: opts.stack ?? (opts.mode ?? 'hybrid') === 'hybrid', disabledRules: opts.disabledRules }));
  }

  /** A query's vector as search uses it: through the enabled adapter unless `adapter` is false. */
  queryVector(v: Float32Array, adapter = true): Float32Array {
    return adapter && this.adapter ? this.adapter.apply(v) : v;
  }

  /** The mode a search really runs in: BM25 when there is no model (noted in the log once). */
  private effectiveMode(mode: SearchMode): SearchMode {
    if (this.runtime || mode === 'bm25') return mode;
    if (!this.fallbackNoted) {
      this.fallbackNoted = true;
      this.options.logger.info(`${mode} search needs the embedding model, which is not loaded: showing keyword (BM25) results.`);
    }
    return 'bm25';
  }

  /** Chunks most similar to lines [startLine, endLine] of a file; chunks overlapping that range are excluded. */
  async similar(relPath: string, startLine: number, endLine: number, opts: { k?: number; text?: string } = {}): Promise<SearchHit[]> {
    const rel = relPath.split(path.sep).join('/');
    let text = opts.text;
    if (text === undefined) {
      const read = await readTextFile(path.join(this.folder, rel), Number.MAX_SAFE_INTEGER);
      if (!read.ok) throw new KindredError('not-found', `Cannot read ${rel} (${read.reason}).`);
      const lines = read.text.split(/\r?\n/);
      if (startLine < 1 || endLine < startLine || startLine > lines.length) {
        throw new KindredError('bad-argument', `Lines ${startLine}-${endLine} are outside ${rel} (${lines.length} lines).`);
      }
      text = lines.slice(startLine - 1, endLine).join('\n');
    }
    if (!text.trim()) return [];
    const vector = this.effectiveMode('vector') === 'bm25' ? undefined : (await this.runtime!.embedPassages([text]))[0];
    const filter = (id: number): boolean => {
      const c = this.store.chunks.get(id);
      return !!c && !(c.path === rel && c.startLine <= endLine && startLine <= c.endLine);
    };
    return toHits(this.store, this.folder, rank(this.store, text, vector, { k: opts.k ?? 10, mode: vector ? 'vector' : 'bm25', filter }));
  }

  async stats(): Promise<EngineStats> {
    const bytes = await this.store.diskBytes();
    return {
      folder: this.folder,
      indexDir: this.indexDir,
      files: this.store.files.size,
      chunks: this.store.chunks.size,
      vectors: this.store.vectorIds.size,
      model: this.store.model.id,
      dtype: this.store.model.dtype,
      dimension: this.store.model.dims,
      bytesOnDisk: bytes,
      bytesPerChunk: this.store.chunks.size ? Math.round(bytes / this.store.chunks.size) : 0,
      ...(this.degraded ? { degraded: this.degraded.toUserString() } : {}),
      adapter: !!this.adapter,
    };
  }

  /** Releases the model if this engine loaded it (a shared runtime is closed by its owner). */
  async close(): Promise<void> {
    if (this.ownsRuntime) await this.runtime?.close();
  }
}

/**
 * Opens the index in `dir` for `model`. A missing index starts empty; a corrupt one, one of
 * another format, or one built with another model or dimension is cleared and rebuilt (said once in the log).
 */
async function openOrCreate(dir: string, folder: string, model: ModelKey, logger: Logger): Promise<IndexStore> {
  const peek = await IndexStore.peek(dir);
  if (peek && (peek.model.id !== model.id || peek.model.dtype !== model.dtype || peek.model.dims !== model.dims)) {
    logger.warn(
      `The index was built with ${peek.model.id} (${peek.model.dtype}, ${peek.model.dims} dims); now using ${model.id} (${model.dtype}, ${model.dims} dims): rebuilding it.`,
    );
    await clearIndexDir(dir);
    return IndexStore.create(dir, folder, model);
  }
  try {
    return await IndexStore.open(dir);
  } catch (e) {
    if (isKindredError(e) && e.code === 'index-missing') return IndexStore.create(dir, folder, model);
    if (isKindredError(e) && e.code === 'index-corrupt') {
      logger.warn(`${e.message} Rebuilding the index (nothing outside ${dir} is touched).`);
      await clearIndexDir(dir);
      return IndexStore.create(dir, folder, model);
    }
    throw e;
  }
}
