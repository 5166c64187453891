import type { Engine } from '../core/engine';
import type { IgnoreMatcher } from '../core/discovery';
import { errorMessage, isKindredError } from '../core/errors';
import type { Progress, UpdateSummary } from '../core/indexer';
import type { Logger } from '../core/log';
import { Backoff } from '../shared/backoff';
import { formatCount } from '../shared/eta';

/** Quiet time after the last file event before an update runs. */
export const DEBOUNCE_MS = 300;
/** First retry of a failed update after this long; each further failure doubles it. */
const RETRY_FIRST_MS = 2_000;
/** Retries never wait longer than this (a full disk is checked every five minutes at most). */
const RETRY_MAX_MS = 5 * 60_000;
/** Another process holds the index's lock: try again no sooner than this. */
const LOCKED_RETRY_MS = 15_000;

/**
 * One line for the log at the end of an update: `Updated express in 31.2 s: 210 files and 1,762 chunks in
 * the index; 1,762 chunks embedded (56.5/s), 0 files removed, 3 skipped.`
 */
export function describeUpdate(name: string, s: UpdateSummary): string {
  const rate = s.embedded > 0 && s.seconds > 0 ? ` (${(s.embedded / s.seconds).toFixed(1)}/s)` : '';
  return (
    `Updated ${name} in ${s.seconds.toFixed(1)} s: ${formatCount(s.files)} files and ${formatCount(s.chunks)} chunks in the index; ` +
    `${formatCount(s.embedded)} chunks embedded${rate}, ${formatCount(s.deleted)} files removed, ${formatCount(s.skipped)} skipped.`
  );
}

export interface Folder {
  /** Absolute path of the workspace folder. */
  path: string;
  name: string;
  engine: Engine;
  matcher: IgnoreMatcher;
  /** A full scan is due (startup, reindex, ignore rules changed). */
  full: boolean;
  /** Relative paths changed since the last update: updated first, before any full scan. */
  changed: Set<string>;
}

/** Why the last update failed, for the status bar; undefined after a success. */
export interface UpdateFailure {
  code?: string;
  message: string;
  fix?: string;
  /** The index is searchable but not writable right now (locked by another process, disk full). */
  readonly: boolean;
}

export interface UpdateHost {
  folders(): readonly Folder[];
  logger: Logger;
  /** The loop is (not) running an update; `failure` is set while updates fail. */
  onState(indexing: boolean, failure: UpdateFailure | undefined): void;
  onProgress(folder: Folder, p: Progress): void;
  onUpdated(folder: Folder, summary: UpdateSummary): void;
}

/**
 * Turns file events into incremental updates, one at a time: bursts (a git checkout) are
 * debounced, edited files go before a running full scan (which is interrupted and resumed),
 * and failures are retried with exponential backoff instead of in a loop.
 */
export class UpdateLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  /** Whether the running update is a full scan (an edit interrupts it). */
  private runningFull = false;
  private paused = false;
  private stopped = false;
  private readonly backoff = new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS);
  /** No retry before this time (ms since epoch) while updates fail. */
  private retryAt = 0;
  private failure: UpdateFailure | undefined;
  /** Relative paths (any folder) to embed first: open and just-edited files. */
  readonly priority = new Set<string>();

  constructor(private readonly host: UpdateHost) {}

  get isPaused(): boolean {
    return this.paused;
  }

  get lastFailure(): UpdateFailure | undefined {
    return this.failure;
  }

  /** Milliseconds until the next retry of a failed update (0 when not failing). */
  get retryInMs(): number {
    return this.failure ? Math.max(0, this.retryAt - Date.now()) : 0;
  }

  /** A file changed: update it soon, ahead of a running full scan. */
  fileChanged(f: Folder, rel: string): void {
    f.changed.add(rel);
    this.priority.add(rel);
    this.schedule(DEBOUNCE_MS);
  }

  /** Everything in the folder may have changed (ignore rules, reindex). */
  rescan(f: Folder, delay = DEBOUNCE_MS): void {
    f.full = true;
    this.schedule(delay);
  }

  /** Runs pending work after `delay` ms (never before a failed update's retry time). */
  schedule(delay: number): void {
    if (this.stopped || this.paused) return;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(delay, this.retryAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        // Edits go first: a full scan in progress stops (keeping what it did) and resumes after them.
        if (this.runningFull && this.host.folders().some((f) => f.changed.size > 0)) this.abort?.abort();
        return; // the running update reschedules when it ends
      }
      this.running = this.runPending().finally(() => {
        this.running = undefined;
        if (this.hasPending()) this.schedule(this.failure ? 0 : DEBOUNCE_MS);
      });
    }, wait);
  }

  hasPending(): boolean {
    return this.host.folders().some((f) => f.full || f.changed.size > 0);
  }

  private async runPending(): Promise<void> {
    for (const f of this.host.folders()) {
      if (this.paused || this.stopped) return;
      if (f.changed.size > 0) {
        const only = [...f.changed];
        f.changed = new Set();
        if (!(await this.runOne(f, only))) {
          for (const p of only) f.changed.add(p);
          return;
        }
      }
      if (f.full && !this.host.folders().some((g) => g.changed.size > 0)) {
        f.full = false;
        if (!(await this.runOne(f, undefined))) {
          f.full = true;
          return;
        }
      }
    }
  }

  /** One update of one folder; false when it did not complete (aborted or failed; the caller puts the work back). */
  private async runOne(f: Folder, only: string[] | undefined): Promise<boolean> {
    const abort = (this.abort = new AbortController());
    this.runningFull = only === undefined;
    this.host.onState(true, this.failure);
    this.host.logger.info(`Updating ${f.name}: ${only ? `${only.length} changed file${only.length === 1 ? '' : 's'}` : 'full scan'}.`);
    try {
      const summary = await f.engine.update({ only, signal: abort.signal, priority: this.priority, onProgress: (p) => this.host.onProgress(f, p) });
      this.host.logger.info(describeUpdate(f.name, summary));
      if (only) for (const p of only) this.priority.delete(p);
      else this.priority.clear();
      this.backoff.succeed();
      this.retryAt = 0;
      this.failure = undefined;
      this.host.onUpdated(f, summary);
      return true;
    } catch (e) {
      // Whatever the failure, every batch still embedding for this update stops taking work.
      abort.abort();
      if ((e as Error)?.name === 'AbortError') {
        this.host.logger.info(`Update of ${f.name} stopped (${this.paused ? 'paused' : this.stopped ? 'settings changed' : 'edited files go first'}); what it committed is kept.`);
        return false;
      }
      this.recordFailure(f, e);
      return false;
    } finally {
      this.abort = undefined;
      this.runningFull = false;
      this.host.onState(false, this.failure);
    }
  }

  private recordFailure(f: Folder, e: unknown): void {
    const code = isKindredError(e) ? e.code : undefined;
    const locked = code === 'index-locked';
    const readonly = locked || code === 'index-unwritable';
    const delay = Math.max(this.backoff.fail(), locked ? LOCKED_RETRY_MS : 0);
    this.retryAt = Date.now() + delay;
    const message = isKindredError(e) ? e.message : `Updating the index of ${f.name} failed: ${errorMessage(e)}`;
    const retry = `Kindred will retry in ${Math.round(delay / 1000)} s.`;
    const fix = locked ? 'Kindred will retry when the other process is done.' : isKindredError(e) && e.fix ? `${e.fix} ${retry}` : retry;
    // Said once per distinct reason, not on every retry; another window holding the lock is no failure.
    if (this.failure?.message !== message && !locked) {
      this.host.logger.warn(isKindredError(e) ? e.toUserString() : `updating ${f.name} failed: ${(e as Error)?.stack ?? errorMessage(e)}`);
    }
    this.failure = { code: code ?? 'update-failed', message, fix, readonly };
  }

  /** Runs every pending update now and resolves when none is left (tests, "Reindex"). Failures end it. */
  async flush(): Promise<void> {
    const MAX_ROUNDS = 1000;
    for (let i = 0; i < MAX_ROUNDS && !this.stopped && !this.paused; i++) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (this.running) {
        await this.running;
        continue;
      }
      if (!this.hasPending()) return;
      if (this.failure?.code === 'index-locked') {
        // A second window holds the lock: wait for it instead of spinning.
        await new Promise((r) => setTimeout(r, Math.min(1000, this.retryInMs)));
      } else if (this.failure) {
        return; // retried on the backoff schedule, not in a loop
      }
      this.retryAt = 0;
      this.running = this.runPending().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  /** Stops the running update (keeping what it committed) and waits for it. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.halt();
  }

  resume(): void {
    this.paused = false;
    this.schedule(0);
  }

  /** Stops for good (configure, dispose). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.halt();
  }

  private async halt(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    if (this.running) await this.running.catch(() => undefined);
  }
}
