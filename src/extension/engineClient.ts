import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { EngineMethod, EngineMethods, EngineStatus, EventMessage, FromEngine, RequestMessage } from '../shared/engineProtocol';

export class EngineRequestError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/**
 * The extension host's side of the engine protocol: starts the engine worker and turns the
 * protocol into typed async calls and events.
 */
export class EngineClient implements vscode.Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
  private readonly logEmitter = new vscode.EventEmitter<{ level: 'info' | 'warn'; message: string }>();
  private readonly changeEmitter = new vscode.EventEmitter<string>();
  readonly onStatus = this.statusEmitter.event;
  readonly onLog = this.logEmitter.event;
  readonly onIndexChanged = this.changeEmitter.event;
  private disposed = false;

  private worker: Worker;
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  /** Fires after the worker died unexpectedly and a new one was started: send the configuration again. */
  readonly onRestart = this.restartEmitter.event;
  private readonly crashes: number[] = [];
  private alive = false;

  constructor(private readonly extensionPath: string) {
    this.worker = this.start();
  }

  private start(): Worker {
    const worker = new Worker(path.join(this.extensionPath, 'dist', 'engineWorker.js'), {
      workerData: { bundledModelsDir: path.join(this.extensionPath, 'models') },
    });
    worker.on('message', (m: FromEngine) => this.onMessage(m));
    worker.on('error', (e) => this.logEmitter.fire({ level: 'warn', message: `engine worker crashed: ${e.stack ?? e.message}` }));
    this.alive = true;
    worker.on('exit', (code) => {
      this.alive = false;
      for (const p of this.pending.values()) p.reject(new EngineRequestError(`The Kindred engine stopped (exit ${code}).`));
      this.pending.clear();
      if (this.disposed) return;
      // An unexpected exit: start again, unless it keeps dying (3 times in a minute).
      const now = Date.now();
      this.crashes.push(now);
      while (this.crashes.length && now - this.crashes[0] > 60_000) this.crashes.shift();
      if (this.crashes.length > 3) {
        this.logEmitter.fire({ level: 'warn', message: 'The Kindred engine keeps stopping; not restarting it. Reload the window to try again.' });
        return;
      }
      this.logEmitter.fire({ level: 'warn', message: `The Kindred engine stopped (exit ${code}); restarting it.` });
      setTimeout(() => {
        if (this.disposed) return;
        this.worker = this.start();
        this.restartEmitter.fire();
      }, 1000);
    });
    return worker;
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
    const e = m as EventMessage;
    if (e.event === 'status') this.statusEmitter.fire(e.status);
    else if (e.event === 'log') this.logEmitter.fire({ level: e.level, message: e.message });
    else if (e.event === 'indexChanged') this.changeEmitter.fire(e.folder);
  }

  request<M extends EngineMethod>(method: M, params: EngineMethods[M]['params']): Promise<EngineMethods[M]['result']> {
    if (this.disposed) return Promise.reject(new EngineRequestError('The Kindred engine is shut down.'));
    if (!this.alive) return Promise.reject(new EngineRequestError('The Kindred engine is restarting; try again in a moment.'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ kind: 'request', id, method, params } as RequestMessage);
    });
  }

  /** Ends the worker abruptly, as a crash would (used by the end-to-end tests of the restart). */
  async simulateCrash(): Promise<void> {
    await this.worker.terminate();
  }

  /** Asks the worker to stop cleanly (it saves nothing half-done: saves are atomic), then terminates it. */
  async shutdown(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ kind: 'shutdown' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    await this.worker.terminate();
  }

  dispose(): void {
    void this.shutdown();
    this.statusEmitter.dispose();
    this.logEmitter.dispose();
    this.changeEmitter.dispose();
    this.restartEmitter.dispose();
  }
}
