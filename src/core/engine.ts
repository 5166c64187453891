import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES } from './discovery';
import { defaultThreads } from './embedding/pool';
import { APPROXIMATE_TOKEN_MARGIN, approximateTokens } from './embedding/approximate';
import { ModelRuntime } from './embedding/runtime';
import { DEFAULT_MODEL_ID, modelInfo, type Dtype, type ModelInfo } from './embedding/models';
import type { ModelSource } from './embedding/transformers';
import { KindredError, isKindredError } from './errors';
import { updateIndex, type EmbedDeps, type Progress, type UpdateSummary } from './indexer';
import { listIndexes, type IndexOnDisk } from './index/listing';
import { clearIndexDir, DB_FILE, IndexLock, IndexStore, isFormat1File, modelDirName, type ModelKey } from './index/store';
import { silentLogger, type Logger } from './log';
import { defaultIndexDir, defaultModelsDir } from './paths';
import { rank, STACK_DEPTH, toHits, type Ranked, type SearchAnswer, type SearchHit, type SearchMode } from './search';
import { dot, judgeMatch, relevanceOf } from './ranking/floor';
import { readTextFile } from './text';
import { loadAdapter, QueryAdapter, saveAdapter } from './adapt/adapter';
import { countChangedFiles, retrainSuggested } from './adapt/drift';
import type { Scores } from './adapt/run';

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
  /**
   * Open the index without ever writing to it (another process may be its writer): no update, no
   * rebuild, nothing created or deleted. A missing or damaged index reads as empty (said once).
   * Searches pick up the writer's commits (see IndexStore.refresh).
   */
  readOnly?: boolean;
  /** Apply the query adapter stored beside the index (`kindred adapt`) when it is enabled. Default true. */
  adapter?: boolean;
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
  /** Where this model's index lives (a directory under indexDir). */
  storeDir: string;
  /** Every index of this folder on disk (one per model + precision) with its size. */
  indexes: IndexOnDisk[];
  /** Set when no model is loaded (keyword search only): the reason and the fix. */
  degraded?: string;
  /** Whether a query adapter (`kindred adapt`) is applied to search queries (always set by `Engine.stats`). */
  adapter?: boolean;
}

/** How many chunks to rank for `k` hits: with a path filter, enough that `k` are likely left inside it. */
function rankDepth(k: number, keep?: (rel: string) => boolean): number {
  return keep ? Math.max(STACK_DEPTH, k * 10) : k;
}

/** The query adapter stored beside a folder's index, as status reports it. */
export interface AdapterState {
  /** Whether searches apply it now. */
  active: boolean;
  /** When it was trained (ISO 8601). */
  createdAt: string;
  /** Held-out MRR / R@10 before and after, from its training run (absent in a hand-made file). */
  heldOut?: { before: Scores; after: Scores };
  /** Why it is off: the measurement that kept it off, or that a person turned it off. */
  reason?: string;
  /** It passed its measurement and was turned off by a person: it can be turned on again. */
  turnedOff: boolean;
  /** Files of the index it was trained on, and those added, edited or removed since (absent: not recorded). */
  trainedFiles?: number;
  changedFiles?: number;
  /** It is on, and enough files changed since training that adapting again is worth offering. */
  retrainSuggested: boolean;
}

/**
 * One folder's search engine: the index, the embedding workers and the tokenizer.
 * The CLI, the extension's worker and the tests all drive this class.
 */
export class Engine {
  private constructor(
    readonly folder: string,
    readonly indexDir: string,
    /** This model's index directory (under indexDir). */
    readonly storeDir: string,
    private store: IndexStore,
    /** Undefined when the engine is degraded (no model). */
    readonly runtime: ModelRuntime | undefined,
    private readonly ownsRuntime: boolean,
    private readonly options: Required<Pick<EngineOptions, 'maxFileBytes' | 'exclude'>> & { logger: Logger; readOnly: boolean },
    /** Why there is no model (keyword search only), or undefined. */
    readonly degraded?: KindredError,
  ) {}

  private fallbackNoted = false;
  /** A snapshot written after an update; the write lock is released when it settles. */
  private snapshotDone: Promise<void> = Promise.resolve();
  /** The enabled query adapter for this model, if `kindred adapt` stored one (applied to query vectors only). */
  private adapter?: QueryAdapter;

  /** The adapter file for this model as last read, on or off (for status). */
  private storedAdapter?: QueryAdapter;

  /** (Re)reads the query adapter stored beside the index; only an enabled adapter for this model is applied. */
  async reloadAdapter(): Promise<boolean> {
    const key = { model: this.store.model.id, dtype: this.store.model.dtype, dims: this.store.model.dims };
    const a = await loadAdapter(this.indexDir, key, (e) => this.options.logger.warn(`Query adapter ignored: ${(e as Error).message}`));
    this.storedAdapter = a;
    this.adapter = a?.enabled ? a : undefined;
    return !!this.adapter;
  }

  /**
   * Stores a trained adapter beside the index (replacing this model's previous one) and reads it back: an
   * enabled adapter applies to the next search, without reopening anything. Returns the file.
   */
  async installAdapter(adapter: QueryAdapter): Promise<string> {
    const key = this.store.model;
    if (adapter.header.model !== key.id || adapter.header.dtype !== key.dtype || adapter.header.dims !== key.dims) {
      throw new KindredError('bad-argument', `The adapter was trained for ${adapter.header.model} (${adapter.header.dtype}), not for this index's ${key.id} (${key.dtype}).`);
    }
    const file = await saveAdapter(this.indexDir, adapter);
    await this.reloadAdapter();
    return file;
  }

  /**
   * Turns the stored adapter off, or back on: only its header is rewritten (the weights stay; nothing is
   * embedded again) and the next search follows. Only an adapter that was on can be turned on again; one
   * its measurement kept off stays off (KindredError `bad-argument`, with the reason). `not-found` when
   * there is no adapter for this model.
   */
  async setAdapterEnabled(enabled: boolean): Promise<AdapterState> {
    await this.reloadAdapter();
    const a = this.storedAdapter;
    if (!a) throw new KindredError('not-found', `No search adapter is stored for ${path.basename(this.folder)} and ${this.store.model.id}.`, 'Run Kindred: Adapt Search to This Workspace first.');
    const h = a.header;
    if (enabled && !h.enabled && !h.turnedOff) throw new KindredError('bad-argument', `The search adapter of ${path.basename(this.folder)} stays off: ${h.reason ?? 'it was not measured better'}.`, 'Adapt again to train and measure a new one.');
    if (enabled !== h.enabled) {
      const { reason: _reason, turnedOff: _turnedOff, ...rest } = h;
      const header = enabled ? { ...rest, enabled: true } : { ...rest, enabled: false, turnedOff: true, reason: 'turned off by you (Kindred: Turn Off Search Adapter)' };
      await saveAdapter(this.indexDir, new QueryAdapter(header, a.weights));
      await this.reloadAdapter();
    }
    return this.adapterState()!;
  }

  /**
   * The stored adapter for status: on or off and why, its measured gain, and the files changed in the index
   * since it was trained (reads every file row: call it after an update, not per keystroke). Undefined when
   * there is none.
   */
  adapterState(): AdapterState | undefined {
    const a = this.storedAdapter;
    if (!a) return undefined;
    const h = a.header;
    const r = h.report as { before?: Scores; after?: Scores } | undefined;
    const trainedFiles = h.trainedOn ? Object.keys(h.trainedOn).length : undefined;
    const changedFiles = h.trainedOn ? countChangedFiles(h.trainedOn, this.store.files.values()) : undefined;
    return {
      active: this.adapter === a,
      createdAt: h.createdAt,
      ...(r?.before && r.after ? { heldOut: { before: r.before, after: r.after } } : {}),
      ...(h.reason ? { reason: h.reason } : {}),
      turnedOff: h.turnedOff === true,
      ...(trainedFiles !== undefined ? { trainedFiles, changedFiles } : {}),
      // Offered only for an adapter in use: one that is off changes nothing however much the code moves.
      retrainSuggested: this.adapter === a && trainedFiles !== undefined && changedFiles !== undefined && retrainSuggested(changedFiles, trainedFiles),
    };
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
      // A degraded engine (no model) opens the configured model's index: vectors already computed
      // stay, and its chunks are embedded once that model is there.
      const key: ModelKey = runtime
        ? { id: runtime.source.modelId, dtype: runtime.source.dtype, dims: runtime.info.dims }
        : { id: source.modelId, dtype: source.dtype, dims: modelInfo(source.modelId).dims || 1 };
      const readOnly = options.readOnly ?? false;
      const storeDir = path.join(indexDir, modelDirName(key));
      if (!readOnly) await migrateFormat1(indexDir, logger);
      const store = await openOrCreate(storeDir, folder, key, logger, readOnly);
      const engine = new Engine(folder, indexDir, storeDir, store, runtime, owned, { ...settings, readOnly }, runtime ? undefined : modelError);
      engine.watchVerification();
      if (runtime && options.adapter !== false) await engine.reloadAdapter();
      return engine;
    } catch (e) {
      if (owned) await runtime?.close();
      throw e;
    }
  }

  /** Damage found by the store's background check of a big index: reported once, rebuilt by the next update. */
  private damaged: KindredError | undefined;

  private watchVerification(): void {
    const store = this.store;
    void store.verified.then((problem) => {
      if (!problem || store !== this.store) return;
      this.damaged = problem;
      this.options.logger.warn(
        this.options.readOnly ? `${problem.message} It is rebuilt by the next update.` : `${problem.message} Rebuilding the index (nothing outside ${this.storeDir} is touched).`,
      );
    });
  }

  /** Every index of a folder on disk (one per model + precision), with sizes. */
  static async listIndexes(options: Pick<EngineOptions, 'folder' | 'indexDir'>): Promise<IndexOnDisk[]> {
    return listIndexes(path.resolve(options.indexDir ?? defaultIndexDir(path.resolve(options.folder))));
  }

  /**
   * Deletes one index of a folder (by its directory name from listIndexes), under its write lock;
   * only the index's own files are removed. Returns false when there is no such index.
   */
  static async deleteIndex(options: Pick<EngineOptions, 'folder' | 'indexDir'>, name: string): Promise<boolean> {
    const root = path.resolve(options.indexDir ?? defaultIndexDir(path.resolve(options.folder)));
    const found = (await listIndexes(root)).find((i) => i.name === name);
    if (!found) return false;
    const lock = await IndexLock.acquire(found.dir);
    try {
      if (found.format === 1) {
        for (const n of await fs.readdir(root)) if (isFormat1File(n)) await fs.rm(path.join(root, n), { force: true });
      } else {
        await clearIndexDir(found.dir);
      }
    } finally {
      await lock.release();
    }
    if (found.format !== 1) await fs.rm(path.join(found.dir, 'lock'), { force: true }).then(() => fs.rmdir(found.dir)).catch(() => undefined);
    return true;
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
    if (this.options.readOnly) throw new KindredError('index-locked', `The index in ${this.storeDir} is open read-only.`, 'Open it without --no-update to bring it up to date.');
    await this.snapshotDone;
    const lock = await IndexLock.acquire(this.storeDir);
    let handedOff = false;
    try {
      if (this.damaged) {
        // Found damaged by the background check: rebuilt from scratch (its own files only).
        this.damaged = undefined;
        await this.store.close().catch(() => undefined);
        await clearIndexDir(this.storeDir);
        this.store = IndexStore.create(this.storeDir, this.folder, this.store.model);
      } else if (this.store.stale || this.store.readOnly) {
        // A failed commit (full disk) left rolled-back state in memory, or the index was read-only
        // while damaged or missing: open it again, now as its writer.
        await this.store.close().catch(() => undefined);
        this.store = await openOrCreate(this.storeDir, this.folder, this.store.model, this.options.logger, false);
        this.watchVerification();
      } else {
        // Commits of another writer (the previous lock holder) since we last looked.
        this.store.refresh();
      }
      this.store.removeOrphans();
      const runtime = this.runtime;
      const info = modelInfo(this.store.model.id);
      const deps: EmbedDeps = runtime
        ? {
            embedPassages: (texts) => runtime.embedPassages(texts),
            countTokens: (t) => runtime.countTokens(t),
            chunkTokens: runtime.chunkTokens,
            concurrency: runtime.workers * 2,
          }
        : // No model: chunks are indexed for keywords and stay pending until a model embeds them.
          { countTokens: approximateTokens, chunkTokens: Math.floor((info.maxTokens - approximateTokens(info.passagePrefix) - 2) * APPROXIMATE_TOKEN_MARGIN), concurrency: 1 };
      const summary = await updateIndex(
        this.store,
        this.folder,
        deps,
        { exclude: this.options.exclude, maxFileBytes: this.options.maxFileBytes, logger: this.options.logger, ...opts },
      );
      // Idle now: write a snapshot if the delta since the last one would slow the next open. In the
      // background (queries keep running); the write lock is held until it is written. Never once per
      // saved file: the delta must be large.
      if (this.store.snapshotDue) void this.store.snapshot().catch(() => undefined);
      const inFlight = this.store.snapshotInFlight;
      if (inFlight) {
        handedOff = true;
        this.snapshotDone = inFlight
          .catch((e) => this.options.logger.warn(`Could not write the vector snapshot: ${(e as Error).message}`))
          .finally(() => lock.release());
      }
      return summary;
    } finally {
      if (!handedOff) await lock.release();
    }
  }

  /**
   * Ranks the folder's chunks for a query. `stack` (default: on for hybrid) re-ranks the fused candidates
   * with the ranking rules; `disabledRules` leaves some out (evaluation). `keep` filters hits by relative
   * path: more candidates are ranked and those outside are dropped before any file is read.
   */
  async search(
    query: string,
    opts: { k?: number; mode?: SearchMode; stack?: boolean; disabledRules?: ReadonlySet<string>; adapter?: boolean; keep?: (rel: string) => boolean } = {},
  ): Promise<SearchHit[]> {
    const q = query.trim();
    if (!q) return [];
    const k = opts.k ?? 10;
    const mode = this.effectiveMode(opts.mode ?? 'hybrid');
    this.store.refresh();
    const vector = mode === 'bm25' ? undefined : this.queryVector(await this.runtime!.embedQuery(q), opts.adapter);
    const ranked = rank(this.store, q, vector, { k: rankDepth(k, opts.keep), mode, stack: opts.stack ?? (opts.mode ?? 'hybrid') === 'hybrid', disabledRules: opts.disabledRules });
    return this.hitsOf(ranked, k, opts.keep);
  }

  /** The first `k` ranked chunks inside `keep` as hits (previews read only for those). */
  private hitsOf(ranked: Ranked[], k: number, keep?: (rel: string) => boolean): Promise<SearchHit[]> {
    // The candidates' paths in one query (a path filter ranks a few hundred).
    const records = keep ? this.store.chunksByIds(ranked.map((r) => r.id)) : undefined;
    const inside = keep
      ? ranked.filter((r) => {
          const c = records?.get(r.id);
          return c !== undefined && keep(c.path);
        })
      : ranked;
    return toHits(this.store, this.folder, inside.slice(0, k));
  }

  /**
   * The search a person reads (QuickPick, panel): hybrid with the ranking stack when some chunk passes the
   * model's relevance floor; otherwise keyword (BM25) hits, flagged `match: 'none'`, instead of the least bad
   * chunks ranked as if they answered. Hits carry a calibrated `relevance` (0–1) when the model is calibrated.
   * `keep` filters hits by relative path (asks for more candidates, keeps those inside).
   */
  async answer(query: string, opts: { k?: number; keep?: (rel: string) => boolean } = {}): Promise<SearchAnswer> {
    const q = query.trim();
    const k = opts.k ?? 10;
    if (!q) return { hits: [], match: this.runtime ? 'good' : 'keyword-only' };
    this.store.refresh();
    const depth = rankDepth(k, opts.keep);
    const finish = async (ranked: Ranked[], vector?: Float32Array): Promise<SearchHit[]> => {
      const hits = await this.hitsOf(ranked, k, opts.keep);
      if (vector) {
        for (const h of hits) {
          const v = this.store.vectorOf(h.id);
          const r = v && relevanceOf(this.store.model.id, dot(v, vector));
          if (r !== undefined) h.relevance = r;
        }
      }
      return hits;
    };
    if (this.effectiveMode('hybrid') === 'bm25') {
      return { hits: await finish(rank(this.store, q, undefined, { k: depth, mode: 'bm25' })), match: 'keyword-only' };
    }
    const vector = this.queryVector(await this.runtime!.embedQuery(q));
    const bestCosine = this.store.nearest(vector, 1)[0]?.score;
    const match = judgeMatch(this.store.model.id, bestCosine);
    if (match === 'none') return { hits: await finish(rank(this.store, q, undefined, { k: depth, mode: 'bm25' })), match, ...(bestCosine !== undefined ? { bestCosine } : {}) };
    return { hits: await finish(rank(this.store, q, vector, { k: depth, mode: 'hybrid' }), vector), match, ...(bestCosine !== undefined ? { bestCosine } : {}) };
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
    // The selection's own chunks (those of this file overlapping the range), looked up once.
    this.store.refresh();
    const own = this.store.files.get(rel)?.chunks ?? [];
    const excluded = new Set([...this.store.chunksByIds(own).values()].filter((c) => c.startLine <= endLine && startLine <= c.endLine).map((c) => c.id));
    const filter = (id: number): boolean => !excluded.has(id);
    return toHits(this.store, this.folder, rank(this.store, text, vector, { k: opts.k ?? 10, mode: vector ? 'vector' : 'bm25', filter }));
  }

  async stats(): Promise<EngineStats> {
    this.store.refresh();
    const bytes = await this.store.diskBytes();
    return {
      folder: this.folder,
      indexDir: this.indexDir,
      storeDir: this.storeDir,
      indexes: await listIndexes(this.indexDir),
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
    try {
      await this.snapshotDone;
      if (this.store.snapshotDue) {
        // The delta this engine wrote would slow the next open: snapshot it, under the write lock.
        const lock = await IndexLock.acquire(this.storeDir).catch(() => undefined);
        if (lock) {
          try {
            await this.store.snapshot();
          } catch (e) {
            this.options.logger.warn(`Could not write the vector snapshot: ${(e as Error).message}`);
          } finally {
            await lock.release();
          }
        }
      }
      await this.store.close();
    } finally {
      if (this.ownsRuntime) await this.runtime?.close();
    }
  }
}

/**
 * Opens the index in `dir` (one model's). As writer: a missing index starts empty; a damaged one or
 * one of another format is cleared and rebuilt (said once in the log). Read-only: nothing is ever
 * written; a missing or damaged index reads as empty (said once) until a writer rebuilds it.
 */
async function openOrCreate(dir: string, folder: string, model: ModelKey, logger: Logger, readOnly: boolean): Promise<IndexStore> {
  try {
    return await IndexStore.open(dir, { readOnly });
  } catch (e) {
    if (!isKindredError(e) || (e.code !== 'index-missing' && e.code !== 'index-corrupt')) throw e;
    if (readOnly) {
      if (e.code === 'index-corrupt') logger.warn(`${e.message} It is rebuilt by the next update; until then it reads as empty.`);
      return IndexStore.memory(folder, model);
    }
    // Rebuilt or created under the write lock; if another process holds it, that one is building it:
    // read as empty until update() (which takes the lock) opens it.
    let lock: IndexLock;
    try {
      lock = await IndexLock.acquire(dir);
    } catch (le) {
      // Locked: another process is building it. Unwritable: update() says so in plain words.
      if (isKindredError(le) && (le.code === 'index-locked' || le.code === 'index-unwritable')) return IndexStore.memory(folder, model);
      throw le;
    }
    try {
      if (e.code === 'index-corrupt') {
        logger.warn(`${e.message} Rebuilding the index (nothing outside ${dir} is touched).`);
        await clearIndexDir(dir);
      } else if (existsSync(path.join(dir, DB_FILE))) {
        // Created by another process between our look and the lock.
        return await IndexStore.open(dir);
      }
      return IndexStore.create(dir, folder, model);
    } finally {
      await lock.release();
    }
  }
}

/**
 * An index of format 1 (JSON + MiniSearch files at the root of the index directory) is replaced:
 * its files are removed (under its old write lock) and the model's index is built in the new format.
 * Said once. If an older Kindred holds the lock, the old index is left for later.
 */
async function migrateFormat1(root: string, logger: Logger): Promise<void> {
  if (!existsSync(path.join(root, 'manifest.json'))) return;
  let lock: IndexLock;
  try {
    lock = await IndexLock.acquire(root);
  } catch {
    return;
  }
  try {
    logger.warn(`The index in ${root} has the old format 1; it is rebuilt in the new format (SQLite) and the old files are removed.`);
    for (const name of await fs.readdir(root)) if (isFormat1File(name)) await fs.rm(path.join(root, name), { force: true });
  } finally {
    await lock.release();
  }
}
