import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { ClusterModel } from '../core/cluster';
import { IgnoreMatcher } from '../core/discovery';
import { evaluateWorkspace } from '../core/eval/workspace';
import { ModelRuntime } from '../core/embedding/runtime';
import { DEGRADED_NOTE, Engine, isModelError } from '../core/engine';
import { errorMessage, isKindredError, type KindredError } from '../core/errors';
import type { Progress } from '../core/indexer';
import type { Logger } from '../core/log';
import { decodeText } from '../core/text';
import { defaultIndexDir, defaultModelsDir } from '../core/paths';
import type { EngineConfig, EngineMethods, EngineStatus, EventMessage, FolderStatus, WorkspaceHit } from '../shared/engineProtocol';

/** Quiet time after the last file event before an update runs. */
const DEBOUNCE_MS = 300;
/** At most one progress event this often. */
const PROGRESS_EVERY_MS = 250;
/** Retry an update that found the index locked by another process after this long. */
const LOCKED_RETRY_MS = 15_000;

interface Folder {
  path: string;
  name: string;
  engine: Engine;
  matcher: IgnoreMatcher;
  /** Relative paths changed since the last update; 'all' means a full scan. */
  pending: Set<string> | 'all';
}

/**
 * Everything the extension's engine worker does, without the worker plumbing: one engine per
 * workspace folder sharing one model, a watcher per folder, and an update loop that turns
 * bursts of file events (a git checkout, a bulk rename) into incremental updates.
 */
export class EngineService {
  private config: EngineConfig | undefined;
  private runtime: ModelRuntime | undefined;
  private folders: Folder[] = [];
  private watcher: FSWatcher | undefined;
  private paused = false;
  private state: EngineStatus['state'] = 'starting';
  private error: EngineStatus['error'];
  private progress: EngineStatus['progress'];
  private lastUpdate: EngineStatus['lastUpdate'];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private lastProgressAt = 0;
  private readonly priority = new Set<string>();
  /** Per folder: clusterings kept between calls so an edit updates them instead of recomputing. */
  private readonly clusterModels = new Map<string, ClusterModel>();
  private closed = false;
  /** Why no model is loaded (the engines are degraded: keyword search only), or undefined. */
  private modelError: KindredError | undefined;
  private lastModelWarning: string | undefined;

  constructor(
    private readonly emit: (e: EventMessage) => void,
    /** Folder with models bundled in the extension, used when the user set no models folder. */
    private readonly bundledModelsDir?: string,
  ) {}

  private readonly logger: Logger = {
    info: (message) => this.emit({ kind: 'event', event: 'log', level: 'info', message }),
    warn: (message) => this.emit({ kind: 'event', event: 'log', level: 'warn', message }),
  };

  async handle<M extends keyof EngineMethods>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
    type R = EngineMethods[M]['result'];
    switch (method) {
      case 'configure':
        return (await this.configure(params as EngineConfig)) as R;
      case 'search': {
        const p = params as EngineMethods['search']['params'];
        return (await this.search(p.query, p.k, p.mode)) as R;
      }
      case 'similar': {
        const p = params as EngineMethods['similar']['params'];
        return (await this.similar(p.path, p.startLine, p.endLine, p.text, p.k)) as R;
      }
      case 'reindex': {
        for (const f of this.folders) f.pending = 'all';
        this.schedule(0);
        return undefined as R;
      }
      case 'setPaused':
        return (await this.setPaused((params as EngineMethods['setPaused']['params']).paused)) as R;
      case 'status':
        return (await this.status()) as R;
      case 'prioritize': {
        for (const p of (params as EngineMethods['prioritize']['params']).paths) {
          const f = this.folderOf(p);
          if (f) this.priority.add(path.relative(f.path, p).split(path.sep).join('/'));
        }
        return undefined as R;
      }
      case 'clusters': {
        const p = params as EngineMethods['clusters']['params'];
        const f = this.folders[p.folder];
        if (!f) throw new Error(`no workspace folder #${p.folder}`);
        let model = this.clusterModels.get(f.path);
        if (!model) this.clusterModels.set(f.path, (model = new ClusterModel()));
        const result = await model.compute(f.engine, { method: p.method, k: p.k, scope: p.scope || undefined, reselect: p.reselect });
        return { ...result, folder: p.folder } as R;
      }
      case 'evalWorkspace': {
        const f = this.folders[(params as EngineMethods['evalWorkspace']['params']).folder];
        if (!f) throw new Error('no such workspace folder');
        if (!this.runtime) throw new Error('The embedding model is not loaded, so there is nothing to evaluate.');
        return (await evaluateWorkspace(f.path, this.runtime, { exclude: this.config?.exclude })) as R;
      }
      case 'scopes':
        return this.folders.map((f) => ({ name: f.name, dirs: directoriesOf(f.engine.index.files.keys()) })) as R;
      case 'flush':
        await this.flush();
        return (await this.status()) as R;
      default:
        throw new Error(`unknown method ${String(method)}`);
    }
  }

  private async configure(config: EngineConfig): Promise<EngineStatus> {
    const previous = this.config;
    this.config = config;
    const modelChanged =
      !previous ||
      previous.modelId !== config.modelId ||
      previous.dtype !== config.dtype ||
      previous.modelsDir !== config.modelsDir ||
      previous.allowDownload !== config.allowDownload ||
      previous.threads !== config.threads;
    await this.stopUpdates();
    await this.closeEngines(modelChanged);
    this.error = undefined;
    this.state = 'starting';
    this.emitStatus();
    try {
      if (!this.runtime) {
        const modelsDir = config.modelsDir || (await this.bundledModels(config.modelId)) || undefined;
        this.modelError = undefined;
        try {
          this.runtime = await ModelRuntime.start(
            { modelId: config.modelId, modelsDir: modelsDir ?? defaultModelsDir(), allowDownload: config.allowDownload, dtype: config.dtype },
            config.threads > 0 ? config.threads : undefined,
          );
          this.lastModelWarning = undefined;
        } catch (e) {
          // No model: the engines still index and search by keywords; the status says why and how to fix it.
          if (!isModelError(e)) throw e;
          this.modelError = e;
          const warning = `${e.toUserString()} ${DEGRADED_NOTE}`;
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
        this.folders.push({ path: engine.folder, name: f.name, engine, matcher: new IgnoreMatcher(engine.folder, { exclude: config.exclude }), pending: config.indexOnStartup ? 'all' : new Set() });
      }
      this.startWatcher();
      this.state = 'idle';
      this.error = this.degradedError();
      this.schedule(0);
    } catch (e) {
      this.fail(e);
    }
    return this.status();
  }

  private async bundledModels(modelId: string): Promise<string | undefined> {
    if (!this.bundledModelsDir) return undefined;
    try {
      await fs.access(path.join(this.bundledModelsDir, modelId, 'config.json'));
      return this.bundledModelsDir;
    } catch {
      return undefined;
    }
  }

  /** The status error of a degraded service (no model), shown while it keeps working. */
  private degradedError(): EngineStatus['error'] {
    const e = this.modelError;
    return e ? { code: e.code, message: `${e.message} Searching by keywords only.`, fix: e.fix } : undefined;
  }

  private fail(e: unknown): void {
    this.state = 'error';
    this.error = isKindredError(e) ? { code: e.code, message: e.message, fix: e.fix } : { message: errorMessage(e) };
    this.logger.warn(isKindredError(e) ? e.toUserString() : `${errorMessage(e)}\n${(e as Error)?.stack ?? ''}`);
    this.emitStatus();
  }

  private startWatcher(): void {
    if (this.folders.length === 0) return;
    const matcherFor = (abs: string): { f: Folder; rel: string } | undefined => {
      const f = this.folderOf(abs);
      if (!f) return undefined;
      return { f, rel: path.relative(f.path, abs).split(path.sep).join('/') };
    };
    this.watcher = watch(
      this.folders.map((f) => f.path),
      {
        ignoreInitial: true,
        followSymlinks: false,
        ignored: (abs: string, stats?: import('node:fs').Stats) => {
          const m = matcherFor(abs);
          if (!m || m.rel === '') return false;
          return m.f.matcher.ignores(m.rel, stats ? stats.isDirectory() : false) && (stats !== undefined || m.f.matcher.ignores(m.rel, true));
        },
      },
    );
    const onFile = (abs: string): void => {
      const m = matcherFor(abs);
      if (!m || m.f.pending === 'all') return;
      if (m.rel.endsWith('.gitignore')) {
        // Ignore rules changed: what is indexed may change anywhere below.
        m.f.matcher.invalidate(path.posix.dirname(m.rel) === '.' ? '' : path.posix.dirname(m.rel));
        m.f.pending = 'all';
      } else m.f.pending.add(m.rel);
      this.schedule(DEBOUNCE_MS);
    };
    const onDirGone = (abs: string): void => {
      const m = matcherFor(abs);
      if (!m || m.f.pending === 'all') return;
      const prefix = `${m.rel}/`;
      for (const p of m.f.engine.index.files.keys()) if (p.startsWith(prefix)) m.f.pending.add(p);
      this.schedule(DEBOUNCE_MS);
    };
    this.watcher.on('add', onFile).on('change', onFile).on('unlink', onFile).on('unlinkDir', onDirGone);
    this.watcher.on('error', (e) => this.logger.warn(`file watcher: ${errorMessage(e)}`));
  }

  private folderOf(abs: string): Folder | undefined {
    let best: Folder | undefined;
    for (const f of this.folders) {
      if ((abs === f.path || abs.startsWith(f.path + path.sep)) && (!best || f.path.length > best.path.length)) best = f;
    }
    return best;
  }

  private schedule(delay: number): void {
    if (this.closed || this.paused || this.state === 'error') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running ??= this.runUpdates().finally(() => {
        this.running = undefined;
        if (this.hasPending() && !this.paused) this.schedule(DEBOUNCE_MS);
      });
    }, delay);
  }

  private hasPending(): boolean {
    return this.folders.some((f) => f.pending === 'all' || f.pending.size > 0);
  }

  private async runUpdates(): Promise<void> {
    for (const f of this.folders) {
      if (this.paused || this.closed) return;
      const pending = f.pending;
      if (pending !== 'all' && pending.size === 0) continue;
      f.pending = new Set();
      this.abort = new AbortController();
      this.state = 'indexing';
      this.emitStatus();
      try {
        const summary = await f.engine.update({
          only: pending === 'all' ? undefined : [...pending],
          signal: this.abort.signal,
          priority: this.priority,
          onProgress: (p) => this.onProgress(f, p),
        });
        this.lastUpdate = { seconds: summary.seconds, embedded: summary.embedded, reused: summary.reused, deleted: summary.deleted, skipped: summary.skipped };
        this.priority.clear();
        this.emit({ kind: 'event', event: 'indexChanged', folder: f.path });
        this.state = 'idle';
      } catch (e) {
        // Put the work back; it runs again on resume or on the next event.
        const meanwhile = f.pending as Folder['pending']; // the watcher may have added paths during the update
        f.pending = pending === 'all' || meanwhile === 'all' ? 'all' : new Set([...pending, ...meanwhile]);
        if ((e as Error)?.name === 'AbortError') {
          this.state = this.paused ? 'paused' : 'idle';
        } else if (isKindredError(e) && (e.code === 'index-locked' || e.code === 'index-unwritable')) {
          // Another process is writing, or the index cannot be written (permissions, full disk):
          // search the index as it is and retry later.
          if (e.code === 'index-unwritable' && this.error?.message !== e.message) this.logger.warn(e.toUserString());
          this.state = 'readonly';
          this.error = { code: e.code, message: e.message, fix: e.code === 'index-locked' ? 'Kindred will retry when the other process is done.' : `${e.fix} Kindred will retry.` };
          setTimeout(() => this.schedule(0), LOCKED_RETRY_MS).unref();
        } else {
          this.logger.warn(`updating ${f.name} failed: ${isKindredError(e) ? e.toUserString() : ((e as Error)?.stack ?? e)}`);
          this.state = 'idle';
        }
      } finally {
        this.abort = undefined;
        this.progress = undefined;
        if (this.state !== 'readonly') this.error = this.degradedError();
        this.emitStatus();
      }
    }
  }

  private onProgress(f: Folder, p: Progress): void {
    this.progress = { phase: p.phase, done: p.done, total: p.total, folder: f.name };
    const now = Date.now();
    if (now - this.lastProgressAt >= PROGRESS_EVERY_MS) {
      this.lastProgressAt = now;
      this.emitStatus();
    }
  }

  /** Waits until no update is pending or running (used by tests and "Reindex"). */
  private async flush(): Promise<void> {
    for (let i = 0; i < 1000 && !this.closed && !this.paused && this.state !== 'error'; i++) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (this.running) await this.running;
      else if (this.hasPending()) {
        // Another process (a second window) holds the index's lock: wait for it instead of spinning.
        if (this.state === 'readonly') await new Promise((r) => setTimeout(r, 100));
        this.running = this.runUpdates().finally(() => (this.running = undefined));
        await this.running;
      } else return;
    }
  }

  private async setPaused(paused: boolean): Promise<EngineStatus> {
    this.paused = paused;
    if (paused) {
      this.abort?.abort();
      if (this.running) await this.running;
      this.state = 'paused';
    } else {
      this.state = 'idle';
      this.schedule(0);
    }
    this.emitStatus();
    return this.status();
  }

  private async search(query: string, k: number, mode?: 'hybrid' | 'vector' | 'bm25'): Promise<WorkspaceHit[]> {
    const all: WorkspaceHit[] = [];
    for (const [i, f] of this.folders.entries()) {
      const hits = await f.engine.search(query, { k, mode });
      for (const h of hits) all.push({ ...h, folder: i, snippet: await snippetOf(f.path, h) });
    }
    return mergeFolders(all, k);
  }

  private async similar(abs: string, startLine: number, endLine: number, text: string | undefined, k: number): Promise<WorkspaceHit[]> {
    const source = this.folderOf(abs);
    const rel = source ? path.relative(source.path, abs).split(path.sep).join('/') : undefined;
    const srcText = text ?? (decodeText(await fs.readFile(abs)) ?? '').split(/\r?\n/).slice(startLine - 1, endLine).join('\n');
    const all: WorkspaceHit[] = [];
    for (const [i, f] of this.folders.entries()) {
      // The selection is excluded in its own folder; other folders search with its text.
      const hits = await f.engine.similar(f === source && rel ? rel : '', startLine, endLine, { k, text: srcText });
      for (const h of hits) all.push({ ...h, folder: i, snippet: await snippetOf(f.path, h) });
    }
    return mergeFolders(all, k);
  }

  /** The engine of a workspace folder (clusters, tests). */
  engineFor(folderPath: string): Engine | undefined {
    return this.folders.find((f) => f.path === path.resolve(folderPath))?.engine;
  }

  async status(): Promise<EngineStatus> {
    const folders: FolderStatus[] = [];
    for (const f of this.folders) {
      const idx = f.engine.index;
      folders.push({ path: f.path, name: f.name, files: idx.files.size, chunks: idx.chunks.size, embedded: idx.vectorIds.size, bytesOnDisk: await idx.diskBytes() });
    }
    return {
      state: this.paused ? 'paused' : this.state,
      model: this.config?.modelId ?? '',
      dims: this.runtime?.info.dims ?? this.folders[0]?.engine.model.dims ?? 0,
      folders,
      progress: this.progress,
      error: this.error,
      lastUpdate: this.lastUpdate,
    };
  }

  private emitStatus(): void {
    void this.status().then(
      (status) => this.emit({ kind: 'event', event: 'status', status }),
      () => undefined,
    );
  }

  private async stopUpdates(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    if (this.running) await this.running.catch(() => undefined);
  }

  private async closeEngines(closeRuntime: boolean): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
    for (const f of this.folders) await f.engine.close();
    this.folders = [];
    this.clusterModels.clear();
    if (closeRuntime) {
      await this.runtime?.close();
      this.runtime = undefined;
    }
  }

  async dispose(): Promise<void> {
    this.closed = true;
    await this.stopUpdates();
    await this.closeEngines(true);
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

/** The best k hits over all folders (each folder's list is already ranked). */
function mergeFolders(all: WorkspaceHit[], k: number): WorkspaceHit[] {
  return all.sort((a, b) => b.score - a.score).slice(0, k);
}

async function snippetOf(root: string, h: { path: string; startLine: number; endLine: number }): Promise<string> {
  try {
    const lines = (decodeText(await fs.readFile(path.join(root, h.path))) ?? '').split(/\r?\n/).slice(h.startLine - 1, h.endLine);
    while (lines.length && !lines[0].trim()) lines.shift();
    return lines.slice(0, 8).join('\n').slice(0, 600);
  } catch {
    return '';
  }
}
