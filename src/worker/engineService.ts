import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { ClusterModel } from '../core/cluster';
import { IgnoreMatcher } from '../core/discovery';
import { evaluateIndex } from '../core/eval/indexEval';
import { KNOWN_MODELS, MODEL_MEASUREMENTS, type Dtype } from '../core/embedding/models';
import { isModelInstalled } from '../core/embedding/transformers';
import { ModelRuntime } from '../core/embedding/runtime';
import { DEGRADED_NOTE, Engine, isModelError } from '../core/engine';
import { errorMessage, isKindredError, KindredError } from '../core/errors';
import type { Logger } from '../core/log';
import { decodeLines } from '../core/text';
import { defaultIndexDir, defaultModelsDir } from '../core/paths';
import {
  SERIAL_METHODS,
  type AdaptOutcome,
  type EngineConfig,
  type EngineHandlers,
  type EngineMethods,
  type EngineStatus,
  type EventMessage,
  type FolderDetails,
  type FolderStatus,
  type ModelChoice,
  type SearchFilter,
  type WorkspaceAnswer,
} from '../shared/engineProtocol';
import { PROGRESS_EVERY_MS, RateMeter } from '../shared/eta';
import { FolderWatcher, folderOf, relativeTo } from './folderWatcher';
import { SerialQueue } from './requestQueue';
import { UpdateLoop, type Folder } from './updateLoop';
import { AdaptJobs } from './adaptJob';
import { answerWorkspace, searchWorkspace, similarInWorkspace } from './workspaceSearch';

/** Ignore rules changed: the watcher restarts once they have been quiet this long. */
const WATCHER_RESTART_DEBOUNCE_MS = 300;
/** When the file watcher fails (inotify limit), every folder is rescanned this often instead. */
const RESCAN_FALLBACK_MS = 5 * 60_000;
/** A running scan of at least this many files makes results partial (a saved file does not). */
const PARTIAL_MIN_FILES = 50;
/** Warnings kept for Show Index Status. */
const RECENT_WARNINGS = 10;

/**
 * What to do about a missing or broken model, in the editor's words (the core's fix speaks to the command
 * line: `npm run setup`, `--allow-download`, which mean nothing to someone who installed the VSIX).
 */
export function editorModelFix(code: string): string {
  if (code === 'model-broken') return 'Pick another model (Kindred: Select Embedding Model), or delete the model\'s folder so it is installed again.';
  return 'Pick an installed model (Kindred: Select Embedding Model), set kindred.modelsDir to a folder that has it, or allow downloading it (kindred.allowModelDownload).';
}

/** The settings that need a new model runtime when they change. */
function runtimeKey(c: EngineConfig): string {
  return JSON.stringify([c.modelId, c.dtype, c.modelsDir, c.allowDownload, c.threads]);
}

/**
 * Everything the extension's engine process does, without the process plumbing: one engine per
 * workspace folder sharing one model, one watcher, and an update loop. Requests that change state
 * run one at a time (a queue); each request gets an AbortSignal that a `cancel` fires.
 */
export class EngineService {
  private config: EngineConfig | undefined;
  private runtime: ModelRuntime | undefined;
  private runtimeFor: string | undefined;
  private folders: Folder[] = [];
  private loop: UpdateLoop | undefined;
  private watcher: FolderWatcher | undefined;
  private readonly queue = new SerialQueue();
  /** Bumped by every configure request: a configure that is no longer the latest is skipped. */
  private configureSeq = 0;
  private configuring = false;
  private configError: EngineStatus['error'];
  private watcherError: EngineStatus['error'];
  private rescanTimer: NodeJS.Timeout | undefined;
  private watcherRestart: NodeJS.Timeout | undefined;
  private indexing = false;
  private progress: EngineStatus['progress'];
  private lastUpdate: EngineStatus['lastUpdate'];
  private lastProgressAt = 0;
  /** Set before the loop exists (pause requested during startup). */
  private pauseRequested = false;
  /** Per folder: clusterings kept between calls so an edit updates them instead of recomputing. */
  private readonly clusterModels = new Map<string, ClusterModel>();
  private closed = false;
  /** Why no model is loaded (the engines are degraded: keyword search only), or undefined. */
  private modelError: KindredError | undefined;
  private lastModelWarning: string | undefined;
  /** Model runtimes started and not yet closed (tests check that a model switch leaks none). */
  private static liveRuntimes = 0;

  constructor(
    private readonly emit: (e: EventMessage) => void,
    /** Folder with models bundled in the extension, used when the user set no models folder. */
    private readonly bundledModelsDir?: string,
  ) {}

  /** The last warnings logged (newest last), for Show Index Status. */
  private readonly recentWarnings: string[] = [];
  /** Measures the rate of the running phase for the time left. */
  private readonly meter = new RateMeter();
  /** Per folder path: when its index was last brought up to date (ms since the epoch). */
  private readonly updatedAt = new Map<string, number>();
  /** Aborted when the engines close (a new configuration): a running adapt run stops. */
  private enginesOpen = new AbortController();

  private readonly logger: Logger = {
    info: (message) => this.emit({ kind: 'event', event: 'log', level: 'info', message }),
    warn: (message) => {
      this.recentWarnings.push(message);
      if (this.recentWarnings.length > RECENT_WARNINGS) this.recentWarnings.shift();
      this.emit({ kind: 'event', event: 'log', level: 'warn', message });
    },
  };

  /** Adapt runs (one at a time) and each folder's adapter as status shows it. */
  private readonly adaptJobs = new AdaptJobs((e) => this.emit(e), this.logger);

  static get runtimesAlive(): number {
    return EngineService.liveRuntimes;
  }

  /** The handler of each protocol method. */
  private readonly handlers: EngineHandlers = {
    configure: (config) => this.configure(config),
    search: (p, signal) => searchWorkspace(this.folders, this.runtime, p.query, p.k, p.mode, signal, p.filter),
    answer: (p, signal) => this.answer(p.query, p.k, p.filter, signal),
    details: () => this.details(),
    models: async () => this.models(),
    similar: (p, signal) => this.similar(p, signal),
    reindex: async () => {
      if (this.loop) for (const f of this.folders) this.loop.rescan(f, 0);
    },
    setPaused: (p) => this.setPaused(p.paused),
    status: () => this.status(),
    prioritize: async (p) => {
      for (const abs of p.paths) {
        const f = folderOf(this.folders, abs);
        if (f) this.loop?.priority.add(relativeTo(f, abs));
      }
    },
    clusters: async (p) => {
      const f = this.folders[p.folder];
      if (!f) throw new Error(`no workspace folder #${p.folder}`);
      let model = this.clusterModels.get(f.path);
      if (!model) this.clusterModels.set(f.path, (model = new ClusterModel()));
      const result = await model.compute(f.engine, { method: p.method, k: p.k, scope: p.scope || undefined, reselect: p.reselect });
      return { ...result, folder: p.folder };
    },
    evalWorkspace: async (p, signal) => {
      const f = this.folders[p.folder];
      if (!f) throw new Error('no such workspace folder');
      return evaluateIndex(f.engine, f.name, { signal });
    },
    adapt: (p, signal) => this.adapt(p.folder, p.cosqaDir, signal),
    setAdapter: async (p) => {
      const f = this.folderAt(p.folder);
      const state = await f.engine.setAdapterEnabled(p.enabled);
      this.logger.info(`Search adapter of ${f.name} turned ${p.enabled ? 'on' : 'off'}.`);
      this.adaptJobs.refresh(f);
      this.emitStatus();
      return state;
    },
    scopes: async () => this.folders.map((f) => ({ name: f.name, dirs: directoriesOf(f.engine.index.files.keys()) })),
    flush: async () => {
      await this.loop?.flush();
      return this.status();
    },
  };

  /**
   * Answers one protocol request. State-changing requests (SERIAL_METHODS) wait for the ones
   * before them; `signal` cancels a request that is no longer wanted.
   */
  handle<M extends keyof EngineMethods>(method: M, params: EngineMethods[M]['params'], signal: AbortSignal = new AbortController().signal): Promise<EngineMethods[M]['result']> {
    const handler = this.handlers[method] as ((p: EngineMethods[M]['params'], s: AbortSignal) => Promise<EngineMethods[M]['result']>) | undefined;
    if (!handler) return Promise.reject(new Error(`unknown method ${String(method)}`));
    if (method === 'configure') {
      // The newest configuration wins: updates stop now rather than after a long flush.
      const seq = ++this.configureSeq;
      void this.loop?.stop();
      return this.queue.run(() => (seq === this.configureSeq ? handler(params, signal) : (this.status() as Promise<EngineMethods[M]['result']>)));
    }
    if (SERIAL_METHODS.has(method)) return this.queue.run(() => handler(params, signal));
    return handler(params, signal);
  }

  private async configure(config: EngineConfig): Promise<EngineStatus> {
    if (this.closed) return this.status();
    this.config = config;
    const key = runtimeKey(config);
    this.configuring = true;
    this.configError = undefined;
    this.emitStatus();
    try {
      await this.closeEngines(key !== this.runtimeFor);
      if (!this.runtime) {
        const modelsDir = config.modelsDir || this.bundledModels(config.modelId, config.dtype) || undefined;
        this.modelError = undefined;
        this.runtimeFor = key;
        try {
          this.runtime = await ModelRuntime.start(
            { modelId: config.modelId, modelsDir: modelsDir ?? defaultModelsDir(), allowDownload: config.allowDownload, dtype: config.dtype },
            config.threads > 0 ? config.threads : undefined,
          );
          EngineService.liveRuntimes++;
          this.lastModelWarning = undefined;
        } catch (e) {
          // No model: the engines still index and search by keywords; the status says why and how to fix it.
          if (!isModelError(e)) throw e;
          this.modelError = e;
          const warning = `${e.message} ${editorModelFix(e.code)} ${DEGRADED_NOTE}`;
          if (warning !== this.lastModelWarning) this.logger.warn(warning);
          this.lastModelWarning = warning;
        }
      }
      for (const f of config.folders) {
        const engine = await Engine.open(
          {
            folder: f.path,
            indexDir: config.indexRoot ? path.join(config.indexRoot, path.basename(defaultIndexDir(f.path))) : undefined,
            modelId: config.modelId,
            dtype: config.dtype,
            exclude: config.exclude,
            maxFileBytes: config.maxFileBytes,
            logger: this.logger,
            allowMissingModel: true,
          },
          this.runtime,
          this.modelError,
        );
        const folder: Folder = { path: engine.folder, name: f.name, engine, matcher: new IgnoreMatcher(engine.folder, { exclude: config.exclude }), full: config.indexOnStartup, changed: new Set() };
        this.folders.push(folder);
        this.adaptJobs.refresh(folder);
      }
      this.startLoop();
    } catch (e) {
      this.configError = isKindredError(e) ? { code: e.code, message: e.message, fix: e.fix } : { message: errorMessage(e) };
      this.logger.warn(isKindredError(e) ? e.toUserString() : `${errorMessage(e)}\n${(e as Error)?.stack ?? ''}`);
    } finally {
      this.configuring = false;
    }
    this.emitStatus();
    return this.status();
  }

  private startLoop(): void {
    const loop = (this.loop = new UpdateLoop({
      folders: () => this.folders,
      logger: this.logger,
      onState: (indexing) => {
        this.indexing = indexing;
        if (!indexing) this.progress = undefined;
        this.emitStatus();
      },
      onProgress: (f, p) => {
        const eta = p.total > 0 ? this.meter.sample(`${f.path}|${p.phase}`, p.done, p.total, Date.now()) : undefined;
        const rate = eta !== undefined ? this.meter.perSecond : undefined;
        this.progress = {
          phase: p.phase,
          done: p.done,
          total: p.total,
          folder: f.name,
          ...(eta !== undefined ? { etaSeconds: eta } : {}),
          ...(rate !== undefined ? { perSecond: Math.round(rate * 10) / 10 } : {}),
        };
        const now = Date.now();
        if (now - this.lastProgressAt >= PROGRESS_EVERY_MS) {
          this.lastProgressAt = now;
          this.emitStatus();
        }
      },
      onUpdated: (f, s) => {
        // Chunks still waiting for a vector (no model, or interrupted) were not reused from anywhere.
        const reused = Math.max(0, s.reused - f.engine.index.pendingIds().length);
        const at = Date.now();
        this.updatedAt.set(f.path, at);
        this.lastUpdate = { seconds: s.seconds, embedded: s.embedded, reused, deleted: s.deleted, skipped: s.skipped, files: s.files, chunks: s.chunks, folder: f.name, at };
        this.adaptJobs.refresh(f);
        this.emit({ kind: 'event', event: 'indexChanged', folder: f.path });
      },
    }));
    this.watcher = new FolderWatcher({
      folders: () => this.folders,
      onFile: (f, rel) => loop.fileChanged(f, rel),
      onDirGone: (f, rel) => {
        const prefix = `${rel}/`;
        for (const p of f.engine.index.files.keys()) if (p.startsWith(prefix)) f.changed.add(p);
        loop.schedule(0);
      },
      onIgnoreRulesChanged: (f, dirRel) => {
        // Rules apply at once: files now ignored leave, files no longer ignored come in, and the
        // watcher starts again so a directory that was ignored is watched from now on.
        f.matcher.invalidate(dirRel);
        loop.rescan(f);
        // Once per burst (a checkout can touch many .gitignore files).
        clearTimeout(this.watcherRestart);
        this.watcherRestart = setTimeout(() => void this.watcher?.restart(), WATCHER_RESTART_DEBOUNCE_MS);
      },
      onError: (message, code) => this.onWatcherError(message, code),
    });
    this.watcher.start();
    if (this.pauseRequested) void loop.pause();
    else loop.schedule(0);
  }

  private onWatcherError(message: string, code: string | undefined): void {
    const limit = code === 'ENOSPC' || code === 'EMFILE';
    const error = {
      code: 'watcher-failed',
      message: `The file watcher failed (${message}); changes are picked up by a rescan every ${RESCAN_FALLBACK_MS / 60_000} minutes.`,
      fix: limit
        ? 'Raise the limit of watched files (Linux: `sudo sysctl fs.inotify.max_user_watches=524288`), or add big folders to kindred.exclude, then reload the window.'
        : 'Reload the window to watch files again.',
    };
    if (this.watcherError?.message !== error.message) this.logger.warn(`${error.message} ${error.fix}`);
    this.watcherError = error;
    if (!this.rescanTimer) {
      this.rescanTimer = setInterval(() => {
        for (const f of this.folders) this.loop?.rescan(f, 0);
      }, RESCAN_FALLBACK_MS);
      this.rescanTimer.unref();
    }
    this.emitStatus();
  }

  /** The bundled models folder when it holds this model in this precision (the VSIX bundles the default model, int8). */
  private bundledModels(modelId: string, dtype: Dtype): string | undefined {
    return this.bundledModelsDir && isModelInstalled(this.bundledModelsDir, modelId, dtype) ? this.bundledModelsDir : undefined;
  }

  private async similar(p: EngineMethods['similar']['params'], signal: AbortSignal): Promise<EngineMethods['similar']['result']> {
    const source = folderOf(this.folders, p.path);
    const text = p.text ?? (decodeLines(await fs.readFile(p.path), p.startLine, p.endLine) ?? []).join('\n');
    const src = source ? { folder: this.folders.indexOf(source), rel: relativeTo(source, p.path) } : undefined;
    return similarInWorkspace(this.folders, this.runtime, src, text, { startLine: p.startLine, endLine: p.endLine }, p.k, signal);
  }

  private async setPaused(paused: boolean): Promise<EngineStatus> {
    this.pauseRequested = paused;
    if (paused) await this.loop?.pause();
    else this.loop?.resume();
    this.emitStatus();
    return this.status();
  }

  private folderAt(i: number): Folder {
    const f = this.folders[i];
    if (!f) throw new KindredError('not-found', `There is no workspace folder #${i}.`);
    return f;
  }

  /** Adapt Search to This Workspace, in this process (see AdaptJobs.run). */
  private async adapt(folderIndex: number, cosqaDir: string | undefined, signal: AbortSignal): Promise<AdaptOutcome> {
    const f = this.folderAt(folderIndex);
    const runtime = this.runtime;
    if (!runtime) throw new KindredError('model-missing', 'Adapting search needs the embedding model, which is not loaded.', editorModelFix(this.modelError?.code ?? 'model-missing'));
    return this.adaptJobs.run(f, folderIndex, runtime, this.config, cosqaDir, signal, this.enginesOpen.signal, () => this.emitStatus());
  }

  /** The engine of a workspace folder (clusters, tests). */
  engineFor(folderPath: string): Engine | undefined {
    return this.folders.find((f) => f.path === path.resolve(folderPath))?.engine;
  }

  /** Milliseconds until a failed update is retried (0 when nothing failed); for tests. */
  get retryInMs(): number {
    return this.loop?.retryInMs ?? 0;
  }

  /** The one place state and error are decided, from what each part reports. */
  private stateAndError(): Pick<EngineStatus, 'state' | 'error'> {
    const failure = this.loop?.lastFailure;
    const failureError = failure && { code: failure.code, message: failure.message, fix: failure.fix };
    const degraded = this.modelError && { code: this.modelError.code, message: `${this.modelError.message} Searching by keywords only.`, fix: editorModelFix(this.modelError.code) };
    const error = this.configError ?? failureError ?? this.watcherError ?? degraded;
    if (this.configuring) return { state: 'starting', error: undefined };
    if (this.configError) return { state: 'error', error };
    if (this.pauseRequested) return { state: 'paused', error };
    if (this.indexing) return { state: 'indexing', error };
    if (failure?.readonly) return { state: 'readonly', error };
    return { state: this.config ? 'idle' : 'starting', error };
  }

  async status(): Promise<EngineStatus> {
    const folders: FolderStatus[] = [];
    for (const f of this.folders) {
      const idx = f.engine.index;
      const adapter = this.adaptJobs.state(f.path);
      folders.push({ path: f.path, name: f.name, files: idx.files.size, chunks: idx.chunks.size, embedded: idx.vectorIds.size, bytesOnDisk: await idx.diskBytes(), ...(adapter ? { adapter } : {}) });
    }
    return {
      ...this.stateAndError(),
      model: this.config?.modelId ?? '',
      dims: this.runtime?.info.dims ?? this.folders[0]?.engine.model.dims ?? 0,
      folders,
      progress: this.indexing ? this.progress : undefined,
      modelLoaded: !!this.runtime,
      lastUpdate: this.lastUpdate,
      pendingFiles: this.folders.reduce((n, f) => n + f.changed.size, 0),
      ...(this.config ? { dtype: this.config.dtype } : {}),
      live: { runtimes: EngineService.liveRuntimes, watchers: FolderWatcher.live },
    };
  }

  /** The search a person reads: see WorkspaceAnswer. */
  private async answer(query: string, k: number, filter: SearchFilter | undefined, signal: AbortSignal): Promise<WorkspaceAnswer> {
    const a = await answerWorkspace(this.folders, this.runtime, query, k, filter, signal);
    const chunks = this.folders.reduce((n, f) => n + f.engine.index.chunks.size, 0);
    const embedded = this.folders.reduce((n, f) => n + f.engine.index.vectorIds.size, 0);
    const out: WorkspaceAnswer = { ...a };
    if (!this.runtime) {
      const model = this.config?.modelId ?? '';
      out.keywordOnly = { model, reason: this.modelError?.code === 'model-broken' ? 'broken' : 'missing' };
    } else if (embedded < chunks) {
      // Chunks waiting for a vector are found by keywords only.
      out.partial = { percent: Math.floor((100 * embedded) / chunks), phase: 'embedding' };
    } else if (this.indexing && this.progress && this.progress.phase !== 'embedding' && this.progress.total >= PARTIAL_MIN_FILES) {
      // A scan reading many files (a first build, a reindex): files not read yet are not in the results.
      out.partial = { percent: Math.floor((100 * this.progress.done) / this.progress.total), phase: this.progress.phase };
    }
    return out;
  }

  /** Show Index Status: each folder's index and the indexes on disk. */
  private async details(): Promise<EngineMethods['details']['result']> {
    const status = await this.status();
    const folders: FolderDetails[] = [];
    for (const [i, f] of this.folders.entries()) {
      const stats = await f.engine.stats();
      const at = this.updatedAt.get(f.path);
      folders.push({
        ...status.folders[i],
        indexDir: stats.indexDir,
        storeDir: stats.storeDir,
        indexes: stats.indexes,
        ...(at !== undefined ? { lastUpdatedAt: at } : {}),
      });
    }
    return { status, folders, recentWarnings: [...this.recentWarnings] };
  }

  /** The models the picker offers, each precision measured or known, and where each is installed (as configure looks). */
  private models(): ModelChoice[] {
    const choices: { id: string; dtype: Dtype; sizeMB?: number }[] = [
      ...MODEL_MEASUREMENTS.map((m) => ({ id: m.id, dtype: m.dtype, sizeMB: m.sizeMB })),
      ...KNOWN_MODELS.filter((k) => !MODEL_MEASUREMENTS.some((m) => m.id === k.id)).map((k) => ({ id: k.id, dtype: 'q8' as const })),
    ];
    return choices.map((c) => {
      let installed: ModelChoice['installed'];
      if (this.config?.modelsDir) installed = isModelInstalled(this.config.modelsDir, c.id, c.dtype) ? 'local' : undefined;
      else if (this.bundledModelsDir && isModelInstalled(this.bundledModelsDir, c.id, c.dtype)) installed = 'bundled';
      else if (isModelInstalled(defaultModelsDir(), c.id, c.dtype)) installed = 'local';
      return { ...c, ...(installed ? { installed } : {}) };
    });
  }

  private emitStatus(): void {
    void this.status().then(
      (status) => this.emit({ kind: 'event', event: 'status', status }),
      () => undefined,
    );
  }

  private async closeEngines(closeRuntime: boolean): Promise<void> {
    this.enginesOpen.abort();
    this.enginesOpen = new AbortController();
    await this.loop?.stop();
    this.loop = undefined;
    clearTimeout(this.watcherRestart);
    await this.watcher?.dispose();
    this.watcher = undefined;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.rescanTimer = undefined;
    this.watcherError = undefined;
    const folders = this.folders;
    this.folders = [];
    for (const f of folders) await f.engine.close();
    this.clusterModels.clear();
    if (closeRuntime) {
      const runtime = this.runtime;
      this.runtime = undefined;
      this.runtimeFor = undefined;
      if (runtime) {
        await runtime.close();
        EngineService.liveRuntimes--;
      }
    }
  }

  /** Stops everything; waits for the request running before it. */
  dispose(): Promise<void> {
    this.closed = true;
    this.configureSeq++;
    void this.loop?.stop();
    return this.queue.run(() => this.closeEngines(true));
  }
}

/** Directories one and two levels deep that hold indexed files, most files first (at most 100). */
function directoriesOf(paths: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const p of paths) {
    const parts = p.split('/');
    if (parts.length > 1) counts.set(parts[0], (counts.get(parts[0]) ?? 0) + 1);
    if (parts.length > 2) counts.set(`${parts[0]}/${parts[1]}`, (counts.get(`${parts[0]}/${parts[1]}`) ?? 0) + 1);
  }
  return [...counts.entries()]
    .filter(([, n]) => n >= 2)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .slice(0, 100)
    .map(([d]) => d);
}
