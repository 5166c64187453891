import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMethod, EngineMethods, EngineStatus } from '../shared/engineProtocol';
import { EngineConnection, EngineRequestError } from './engineConnection';

export { EngineRequestError };

/**
 * The extension host's side of the engine protocol: the engine runs in its own process
 * (EngineConnection); this turns its events into VS Code events and its requests into typed calls
 * that a CancellationToken can cancel.
 */
export class EngineClient implements vscode.Disposable {
  private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
  private readonly logEmitter = new vscode.EventEmitter<{ level: 'info' | 'warn'; message: string }>();
  private readonly changeEmitter = new vscode.EventEmitter<string>();
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  private readonly adaptProgressEmitter = new vscode.EventEmitter<{ folder: string; phase: string; done: number; total: number }>();
  /** Progress of a running adapt request (Adapt Search to This Workspace). */
  readonly onAdaptProgress = this.adaptProgressEmitter.event;
  readonly onStatus = this.statusEmitter.event;
  readonly onLog = this.logEmitter.event;
  readonly onIndexChanged = this.changeEmitter.event;
  /** Fires after the engine died unexpectedly and a new one was started: send the configuration again. */
  readonly onRestart = this.restartEmitter.event;
  private readonly connection: EngineConnection;

  constructor(extensionPath: string) {
    this.connection = new EngineConnection({
      script: path.join(extensionPath, 'dist', 'engineProcess.js'),
      bundledModelsDir: path.join(extensionPath, 'models'),
      onEvent: (e) => {
        if (e.event === 'status') this.statusEmitter.fire(e.status);
        else if (e.event === 'log') this.logEmitter.fire({ level: e.level, message: e.message });
        else if (e.event === 'indexChanged') this.changeEmitter.fire(e.folder);
        else if (e.event === 'adaptProgress') this.adaptProgressEmitter.fire({ folder: e.folder, phase: e.phase, done: e.done, total: e.total });
      },
      onRestart: () => this.restartEmitter.fire(),
      onLog: (level, message) => this.logEmitter.fire({ level, message }),
    });
  }

  /** The engine process id (tests). */
  get pid(): number | undefined {
    return this.connection.pid;
  }

  /** Engine processes started so far (tests). */
  get starts(): number {
    return this.connection.starts;
  }

  request<M extends EngineMethod>(method: M, params: EngineMethods[M]['params'], token?: vscode.CancellationToken): Promise<EngineMethods[M]['result']> {
    if (!token) return this.connection.request(method, params);
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    if (token.isCancellationRequested) ac.abort();
    return this.connection.request(method, params, ac.signal).finally(() => sub.dispose());
  }

  /** Ends the engine process abruptly, as a crash would (used by the end-to-end tests of the restart). */
  async simulateCrash(): Promise<void> {
    this.connection.kill();
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.connection.shutdown();
  }

  dispose(): void {
    void this.connection.shutdown();
    this.statusEmitter.dispose();
    this.logEmitter.dispose();
    this.changeEmitter.dispose();
    this.restartEmitter.dispose();
    this.adaptProgressEmitter.dispose();
  }
}
