/**
 * The extension host's end of the engine protocol, without `vscode` (unit-tested on its own):
 * forks the engine process the way language clients start their servers, turns requests into
 * promises (cancellable with an AbortSignal), and restarts the process with backoff when it dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { ENGINE_ENV, ENGINE_V8_FLAGS } from '../shared/engineLaunch';
import { Backoff } from '../shared/backoff';
import { CANCELLED, type EngineMethod, type EngineMethods, type EventMessage, type FromEngine, type ToEngine } from '../shared/engineProtocol';

export class EngineRequestError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** First restart after this long; doubled after each further crash, up to RESTART_MAX_MS. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 60_000;
/** A process that stayed up this long counts as healthy: the next crash restarts it quickly again. */
const HEALTHY_AFTER_MS = 60_000;
/** Heap limit of the engine process (MB): an index that outgrows it ends the engine, not the editor. */
const DEFAULT_HEAP_MB = 4096;

export interface EngineConnectionOptions {
  /** The bundled engine entry (dist/engineProcess.js). */
  script: string;
  /** Models bundled with the extension. */
  bundledModelsDir?: string;
  heapMb?: number;
  /** Extra environment for the engine process (tests). */
  env?: NodeJS.ProcessEnv;
  onEvent(e: EventMessage): void;
  /** The process died unexpectedly and a new one was started: send the configuration again. */
  onRestart(): void;
  onLog(level: 'info' | 'warn', message: string): void;
}

export class EngineConnection {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly backoff = new Backoff(RESTART_FIRST_MS, RESTART_MAX_MS);
  private healthyTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Engine processes started so far (tests). */
  starts = 0;

  constructor(private readonly options: EngineConnectionOptions) {
    this.start();
  }

  /** The engine's process id (tests kill it to check the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !!this.child?.connected;
  }

  private start(): void {
    this.starts++;
    // In desktop VS Code process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it plain Node.
    const child = fork(this.options.script, [], {
      // V8 flags and allocator settings that keep indexing's peak memory down (engineLaunch.ts says what each buys).
      execArgv: [`--max-old-space-size=${this.options.heapMb ?? DEFAULT_HEAP_MB}`, ...ENGINE_V8_FLAGS],
      env: { ...process.env, ...ENGINE_ENV, ...this.options.env, ELECTRON_RUN_AS_NODE: '1', KINDRED_BUNDLED_MODELS: this.options.bundledModelsDir ?? '' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.options.onLog('info', `engine: ${d.toString().trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => this.options.onLog('warn', `engine: ${d.toString().trimEnd()}`));
    child.on('message', (m: FromEngine) => this.onMessage(m));
    child.on('error', (e) => this.options.onLog('warn', `engine process: ${e.message}`));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.healthyTimer = setTimeout(() => this.backoff.succeed(), HEALTHY_AFTER_MS);
    this.healthyTimer.unref();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    clearTimeout(this.healthyTimer);
    const why = signal ? `signal ${signal}` : `exit ${code}`;
    for (const p of this.pending.values()) p.reject(new EngineRequestError(`The Kindred engine stopped (${why}).`));
    this.pending.clear();
    if (this.disposed) return;
    const delay = this.backoff.fail();
    this.options.onLog('warn', `The Kindred engine stopped (${why}); restarting it in ${(delay / 1000).toFixed(1)} s.`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.disposed) return;
      this.start();
      this.options.onRestart();
    }, delay);
  }

  private onMessage(m: FromEngine): void {
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new EngineRequestError(m.error.message, m.error.code, m.error.fix));
      else p.resolve(m.result);
      return;
    }
    this.options.onEvent(m);
  }

  private send(m: ToEngine): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    child.send(m);
    return true;
  }

  /**
   * Sends a request. `signal` cancels it: the promise rejects at once with code `cancelled` and the
   * engine stops the work if it still can.
   */
  request<M extends EngineMethod>(method: M, params: EngineMethods[M]['params'], signal?: AbortSignal): Promise<EngineMethods[M]['result']> {
    if (this.disposed) return Promise.reject(new EngineRequestError('The Kindred engine is shut down.'));
    if (signal?.aborted) return Promise.reject(new EngineRequestError('The request was cancelled.', CANCELLED));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send({ kind: 'request', id, method, params } as ToEngine)) {
        reject(new EngineRequestError('The Kindred engine is restarting; try again in a moment.', 'engine-restarting'));
        return;
      }
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.send({ kind: 'cancel', id });
        reject(new EngineRequestError('The request was cancelled.', CANCELLED));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as EngineMethods[M]['result']);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
    });
  }

  /** Ends the engine process abruptly, as a crash would (tests of the restart). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Asks the engine to stop cleanly (saves are atomic: nothing half-done is kept), then kills it. */
  async shutdown(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.healthyTimer);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ kind: 'shutdown' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
