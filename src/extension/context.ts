import * as vscode from 'vscode';
import type { EngineStatus, WorkspaceHit } from '../shared/engineProtocol';
import { confine } from '../shared/paths';
import type { PanelHit, PanelLocation } from '../shared/webviewProtocol';
import { readEngineConfig } from './config';
import { EngineClient, EngineRequestError } from './engineClient';
import { StatusBar } from './statusBar';

/**
 * The one object the extension's parts share: the engine client, the output channel, the
 * status bar, the current status. Everything it creates is disposed with it.
 */
export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly client: EngineClient;
  readonly statusBar: StatusBar;
  status: EngineStatus = { state: 'starting', model: '', dims: 0, folders: [] };
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
  readonly onStatus = this.statusEmitter.event;
  private reportedError: string | undefined;
  private configureTimer: NodeJS.Timeout | undefined;
  /** Configure requests are sent one after the other, never two at once. */
  private configureChain: Promise<void> = Promise.resolve();
  private lastModel: string | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Kindred', { log: true });
    this.client = new EngineClient(extension.extensionPath);
    this.statusBar = new StatusBar();
    this.disposables.push(this.output, this.client, this.statusBar, this.statusEmitter);
    this.disposables.push(
      this.client.onLog(({ level, message }) => (level === 'warn' ? this.output.warn(message) : this.output.info(message))),
      this.client.onStatus((s) => this.setStatus(s)),
      this.client.onRestart(() => void this.configure()),
      { dispose: () => clearTimeout(this.configureTimer) },
    );
  }

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  private setStatus(s: EngineStatus): void {
    this.status = s;
    this.statusBar.update(s);
    this.statusEmitter.fire(s);
    // An error is announced once (with its fix), not on every status event. A missing or broken
    // model is announced too while the engine keeps working degraded (keyword search only).
    void vscode.commands.executeCommand('setContext', 'kindred.paused', s.state === 'paused');
    const degraded = s.state !== 'error' && !!s.error?.code?.startsWith('model-');
    // Failing updates (retried with backoff) and a failed watcher are announced once too.
    const failing = !!s.error?.code && ANNOUNCED_ONCE.has(s.error.code);
    const key = s.error && (s.state === 'error' || degraded || failing) ? s.error.message : undefined;
    if (key !== undefined && key !== this.reportedError && s.error) {
      const actions = s.error.code === 'model-missing' ? ['Open Settings', 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(`Kindred: ${s.error.message}${s.error.fix ? ` ${s.error.fix}` : ''}`, ...actions).then((a) => {
        if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'kindred.');
        if (a === 'Show Log') this.output.show();
      });
    }
    this.reportedError = key;
  }

  /**
   * Settings changed: configure once they settle. Writing several settings (model and precision)
   * gives one configuration, read after the last write, so the engine never sees a mix.
   */
  configureSoon(): void {
    clearTimeout(this.configureTimer);
    this.configureTimer = setTimeout(() => void this.configure(), CONFIGURE_DEBOUNCE_MS);
  }

  /** (Re)sends the settings to the engine; the engine reloads the model only if model settings changed. */
  configure(): Promise<void> {
    clearTimeout(this.configureTimer);
    this.configureChain = this.configureChain.then(async () => {
      const config = readEngineConfig();
      const model = `${config.modelId} (${config.dtype})`;
      if (this.lastModel !== undefined && model !== this.lastModel) {
        void vscode.window.showInformationMessage(`Kindred: switching to ${model}; the index will be rebuilt with it.`);
      }
      this.lastModel = model;
      try {
        this.setStatus(await this.client.request('configure', config));
      } catch (e) {
        this.output.error(`configure failed: ${(e as Error).message}`);
      }
    });
    return this.configureChain;
  }

  /** The absolute path of a hit, confined to its workspace folder. */
  locate(loc: { folder: number; path: string }): vscode.Uri | undefined {
    const folder = this.status.folders[loc.folder];
    if (!folder) return undefined;
    const abs = confine(folder.path, loc.path);
    return abs === undefined ? undefined : vscode.Uri.file(abs);
  }

  async open(loc: PanelLocation, preview = false): Promise<void> {
    const uri = this.locate(loc);
    if (!uri) {
      this.output.warn(`refused to open a location outside the workspace: ${JSON.stringify(loc)}`);
      return;
    }
    const range = new vscode.Range(loc.startLine - 1, 0, loc.endLine - 1, Number.MAX_SAFE_INTEGER);
    const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(range.start, range.start), preview, preserveFocus: preview });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    editor.setDecorations(highlight, [range]);
    setTimeout(() => editor.setDecorations(highlight, []), 1500);
  }

  toPanelHit(h: WorkspaceHit): PanelHit {
    return {
      folder: h.folder,
      folderName: this.status.folders[h.folder]?.name ?? '',
      path: h.path,
      startLine: h.startLine,
      endLine: h.endLine,
      score: h.score,
      ...(h.symbol ? { symbol: h.symbol } : {}),
      preview: h.preview,
      snippet: h.snippet,
    };
  }

  /** Shows a failed request to the user once, in plain words. */
  reportError(what: string, e: unknown): void {
    const msg = e instanceof EngineRequestError ? `${e.message}${e.fix ? ` ${e.fix}` : ''}` : (e as Error)?.message ?? String(e);
    this.output.warn(`${what}: ${msg}`);
    void vscode.window.showWarningMessage(`Kindred: ${what}: ${msg}`);
  }

  dispose(): void {
    for (const d of this.disposables.reverse()) d.dispose();
  }
}

/** Quiet time after a settings change before the engine is reconfigured. */
const CONFIGURE_DEBOUNCE_MS = 400;

/** Error codes shown to the user once while the engine keeps working (and retrying). */
const ANNOUNCED_ONCE = new Set(['update-failed', 'index-unwritable', 'watcher-failed']);

const highlight = vscode.window.createTextEditorDecorationType({
  backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  isWholeLine: true,
});
