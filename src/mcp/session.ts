/**
 * The MCP server's hold on one folder's engine: opened on the first tool call (so `initialize` and
 * `tools/list` answer at once and an unused server never loads the model), brought up to date
 * incrementally before calls, and read as it is on disk when another process holds the write lock.
 */
import { Engine, type EngineOptions } from '../core/engine';
import { errorMessage, isKindredError } from '../core/errors';
import type { Progress, UpdateSummary } from '../core/indexer';

/** A refresh is started at most this often (ms); calls in between use the index as it is. */
const REFRESH_INTERVAL_MS = 2000;
/** How long a call waits for a refresh of a non-empty index before answering with what is there. */
const REFRESH_WAIT_MS = 3000;

export interface IndexStatus {
  folder: string;
  indexDir: string;
  files: number;
  chunks: number;
  /** Chunks with a vector (the rest are found by keywords only until embedded). */
  embedded: number;
  /** embedded / chunks, 0-1 (1 for an empty index). */
  embeddedShare: number;
  model: string;
  /** ISO time the last update finished, if one did in this process. */
  lastUpdate: string | null;
  lastUpdateSummary: UpdateSummary | null;
  updating: boolean;
  progress: Progress | null;
  /** Another process holds the index's write lock, or it cannot be written: read as it is on disk. */
  readOnly: boolean;
  /** Results may miss recent changes: an update is running, chunks are not embedded yet, or the index is read-only. */
  stale: boolean;
  /** Why results may be stale or degraded, in a sentence; null when all is well. */
  note: string | null;
}

export interface SessionOptions {
  engine: EngineOptions;
  /** Bring the index up to date (default true); false: read the index as it is (`--no-update`). */
  update: boolean;
}

export class McpSession {
  private opening?: Promise<Engine>;
  private engine?: Engine;
  private updating?: Promise<void>;
  /** Settles when the running update has its lock and reports progress, or has ended (e.g. the lock is held elsewhere). */
  private started?: Promise<void>;
  private lastStarted = 0;
  private lastFinished?: Date;
  private lastSummary?: UpdateSummary;
  private progress?: Progress;
  private readOnlyReason?: string;
  private lastError?: string;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly options: SessionOptions) {}

  /**
   * The engine, with its index brought up to date as far as policy allows: an empty index waits for
   * its first update; otherwise a refresh gets REFRESH_WAIT_MS before the call answers from what is there.
   */
  async ready(): Promise<Engine> {
    if (!this.opening) {
      this.opening = Engine.open({ ...this.options.engine, allowMissingModel: true });
      this.opening.then(
        (e) => (this.engine = e),
        () => (this.opening = undefined), // try again on the next call
      );
    }
    const engine = await this.opening;
    if (!this.options.update || this.closed) return engine;
    if (!this.updating && Date.now() - this.lastStarted >= REFRESH_INTERVAL_MS) this.startUpdate(engine);
    if (this.updating) {
      // Whether the index is writable is known before any waiting is timed.
      await this.started;
      if (engine.index.chunks.size === 0) await this.updating;
      else await Promise.race([this.updating, new Promise((r) => setTimeout(r, REFRESH_WAIT_MS).unref())]);
    }
    return engine;
  }

  private startUpdate(engine: Engine): void {
    this.lastStarted = Date.now();
    this.progress = undefined;
    let markStarted!: () => void;
    this.started = new Promise<void>((resolve) => (markStarted = resolve));
    this.updating = engine
      .update({
        onProgress: (p) => {
          this.progress = p;
          markStarted();
        },
        signal: this.abort.signal,
      })
      .then(
        (summary) => {
          this.lastSummary = summary;
          this.lastFinished = new Date();
          this.readOnlyReason = undefined;
          this.lastError = undefined;
        },
        (e) => {
          if (isKindredError(e) && (e.code === 'index-locked' || e.code === 'index-unwritable')) this.readOnlyReason = e.message;
          else if (!this.abort.signal.aborted) this.lastError = errorMessage(e);
          if (!this.abort.signal.aborted) process.stderr.write(`kindred mcp: index update failed: ${errorMessage(e)}\n`);
        },
      )
      .finally(() => {
        markStarted();
        this.updating = undefined;
        this.progress = undefined;
      });
  }

  /** Index counts and freshness (opens the engine if needed). */
  async status(): Promise<IndexStatus> {
    const engine = await this.ready();
    return this.statusOf(engine);
  }

  /** Freshness only, for attaching to results. */
  freshness(): { stale: boolean; note: string | null } {
    if (!this.engine) return { stale: true, note: 'The index is not open yet.' };
    const s = this.statusOf(this.engine);
    return { stale: s.stale, note: s.note };
  }

  private statusOf(engine: Engine): IndexStatus {
    const store = engine.index;
    const chunks = store.chunks.size;
    const embedded = store.vectorIds.size;
    const notes: string[] = [];
    if (this.updating) {
      const p = this.progress;
      notes.push(`The index is being updated${p ? ` (${p.phase} ${p.done}/${p.total})` : ''}; results may miss the newest changes.`);
    }
    if (embedded < chunks) notes.push(`${chunks - embedded} of ${chunks} chunks are not embedded yet: they are found by keywords only.`);
    if (this.readOnlyReason) notes.push(`${this.readOnlyReason} Answering from the index on disk.`);
    if (this.lastError) notes.push(`The last update failed: ${this.lastError}`);
    if (engine.degraded) notes.push(engine.degraded.toUserString());
    if (!this.options.update) notes.push('Started with --no-update: the index is not brought up to date.');
    return {
      folder: engine.folder,
      indexDir: engine.indexDir,
      files: store.files.size,
      chunks,
      embedded,
      embeddedShare: chunks ? Math.round((embedded / chunks) * 1000) / 1000 : 1,
      model: store.model.id,
      lastUpdate: this.lastFinished?.toISOString() ?? null,
      lastUpdateSummary: this.lastSummary ?? null,
      updating: !!this.updating,
      progress: this.progress ?? null,
      readOnly: !!this.readOnlyReason,
      stale: !!this.updating || embedded < chunks || !!this.readOnlyReason || !!this.lastError,
      note: notes.length ? notes.join(' ') : null,
    };
  }

  /** Stops a running update (saves are atomic) and releases the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.updating?.catch(() => undefined);
    const engine = await this.opening?.catch(() => undefined);
    await engine?.close();
  }
}
