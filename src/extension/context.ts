import * as vscode from 'vscode';
import type { EngineStatus, WorkspaceHit } from '../shared/engineProtocol';
import { FirstBuildNotices } from '../shared/firstBuild';
import { confine } from '../shared/paths';
import type { PanelHit, PanelLocation } from '../shared/webviewProtocol';
import { readEngineConfig } from './config';
import { EngineClient, EngineRequestError } from './engineClient';
import { ReportView } from './reportView';
import { statusReport } from './reports';
import { StatusBar } from './statusBar';

/**
 * The one object the extension's parts share: the engine client, the output channel, the
 * status bar, the current status. Everything it creates is disposed with it.
 */
export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly client: EngineClient;
  readonly statusBar: StatusBar;
  /** The Markdown reports (index status, search quality). */
  readonly reports: ReportView;
  status: EngineStatus = { state: 'starting', model: '', dims: 0, folders: [] };
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
  readonly onStatus = this.statusEmitter.event;
  private reportedError: string | undefined;
  private configureTimer: NodeJS.Timeout | undefined;
  /** Configure requests are sent one after the other, never two at once. */
  private configureChain: Promise<void> = Promise.resolve();
  private lastModel: string | undefined;
  /** A first build says when keyword search is ready and when search by meaning is complete. */
  private readonly firstBuild = new FirstBuildNotices();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Kindred', { log: true });
    this.client = new EngineClient(extension.extensionPath);
    this.statusBar = new StatusBar();
    this.reports = new ReportView();
    this.disposables.push(this.output, this.client, this.statusBar, this.statusEmitter, this.reports);
    this.disposables.push(
      this.client.onLog(({ level, message }) => (level === 'warn' ? this.output.warn(message) : this.output.info(message))),
      this.client.onStatus((s) => this.setStatus(s)),
      this.client.onRestart(() => void this.configure()),
      { dispose: () => clearTimeout(this.configureTimer) },
      { dispose: () => clearTimeout(this.reportTimer) },
    );
  }

  private reportTimer: NodeJS.Timeout | undefined;

  /** Builds the index status report, shows it and returns its text. */
  async showStatusReport(): Promise<string> {
    const text = statusReport(await this.client.request('details', {}), Date.now());
    await this.reports.show(ReportView.status, text);
    return text;
  }

  /** An open status report follows the status (at most every REPORT_REFRESH_MS). */
  private refreshStatusReportSoon(): void {
    if (this.reportTimer || !this.reports.isOpen(ReportView.status)) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.client.request('details', {}).then(
        (d) => this.reports.set(ReportView.status, statusReport(d, Date.now())),
        () => undefined,
      );
    }, REPORT_REFRESH_MS);
  }

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  private setStatus(s: EngineStatus): void {
    this.status = s;
    this.statusBar.update(s);
    this.statusEmitter.fire(s);
    this.refreshStatusReportSoon();
    // An error is announced once (with its fix), not on every status event. A missing or broken
    // model is announced too while the engine keeps working degraded (keyword search only).
    void vscode.commands.executeCommand('setContext', 'kindred.paused', s.state === 'paused');
    void vscode.commands.executeCommand('setContext', 'kindred.adapterOn', s.folders.some((f) => f.adapter?.active));
    void vscode.commands.executeCommand('setContext', 'kindred.adapterTurnedOff', s.folders.some((f) => f.adapter?.turnedOff && !f.adapter.active));
    this.offerRetraining(s);
    for (const message of this.firstBuild.observe(s, Date.now())) void vscode.window.showInformationMessage(message);
    const degraded = s.state !== 'error' && !!s.error?.code?.startsWith('model-');
    // Failing updates (retried with backoff) and a failed watcher are announced once too.
    const failing = !!s.error?.code && ANNOUNCED_ONCE.has(s.error.code);
    const key = s.error && (s.state === 'error' || degraded || failing) ? s.error.message : undefined;
    if (key !== undefined && key !== this.reportedError && s.error) {
      if (degraded) {
        // A missing model is said in the editor's words (the engine's fix speaks of the command line).
        const trusted = vscode.workspace.isTrusted;
        const actions = ['Select Model', ...(s.error.code === 'model-missing' && trusted ? ['Allow Download'] : []), 'Show Log'];
        void vscode.window.showWarningMessage(`Kindred: ${s.error.message} Pick an installed model${trusted ? ' or allow downloading this one' : ''}.`, ...actions).then((a) => {
          if (a === 'Select Model') void vscode.commands.executeCommand('kindred.selectModel');
          if (a === 'Allow Download') void vscode.workspace.getConfiguration('kindred').update('allowModelDownload', true, vscode.ConfigurationTarget.Global);
          if (a === 'Show Log') this.output.show();
        });
      } else {
        void vscode.window.showErrorMessage(`Kindred: ${s.error.message}${s.error.fix ? ` ${s.error.fix}` : ''}`, 'Show Log').then((a) => {
          if (a === 'Show Log') this.output.show();
        });
      }
    }
    this.reportedError = key;
  }

  /**
   * After many edits the adapter is offered to be trained again, never retrained unasked: once per adapter
   * (remembered across sessions), when the engine says enough files changed since it was trained.
   */
  private offerRetraining(s: EngineStatus): void {
    const offered = this.extension.workspaceState.get<string[]>(RETRAIN_OFFERED_KEY, []);
    s.folders.forEach((f, i) => {
      const a = f.adapter;
      if (!a?.retrainSuggested) return;
      const key = `${f.path}|${a.createdAt}`;
      if (offered.includes(key)) return;
      offered.push(key);
      void this.extension.workspaceState.update(RETRAIN_OFFERED_KEY, offered.slice(-50));
      void vscode.window
        .showInformationMessage(
          `Kindred: ${a.changedFiles} of the ${a.trainedFiles} files the search adapter of ${f.name} was trained on have changed since. Adapt again to fit the code as it is now?`,
          'Adapt Again',
          'Not Now',
        )
        .then((choice) => {
          if (choice === 'Adapt Again') void vscode.commands.executeCommand('kindred.adapt', i);
        });
    });
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
        void vscode.window.showInformationMessage(`Kindred: switching to ${model}. Its index is built now (the previous model's index is kept).`);
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

  async open(loc: PanelLocation, preview = false, viewColumn?: vscode.ViewColumn): Promise<void> {
    const uri = this.locate(loc);
    if (!uri) {
      this.output.warn(`refused to open a location outside the workspace: ${JSON.stringify(loc)}`);
      return;
    }
    const range = new vscode.Range(loc.startLine - 1, 0, loc.endLine - 1, Number.MAX_SAFE_INTEGER);
    const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(range.start, range.start), preview, preserveFocus: preview, ...(viewColumn ? { viewColumn } : {}) });
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
      ...(h.relevance !== undefined ? { relevance: h.relevance } : {}),
      ...(h.symbol ? { symbol: h.symbol } : {}),
      preview: h.preview,
      snippet: h.snippet,
      ...(h.snippetStartLine !== undefined ? { snippetStartLine: h.snippetStartLine } : {}),
      ...(h.matchedLines ? { matchedLines: h.matchedLines } : {}),
      ...(h.duplicates?.length ? { duplicates: h.duplicates.map((d) => `${d.path}:${d.startLine}-${d.endLine}`) } : {}),
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

/** workspaceState key: the adapters (folder path | trained at) already offered to be trained again. */
const RETRAIN_OFFERED_KEY = 'kindred.retrainOffered';

/** An open index status report is refreshed at most this often while the status changes. */
const REPORT_REFRESH_MS = 1500;

/** Quiet time after a settings change before the engine is reconfigured. */
const CONFIGURE_DEBOUNCE_MS = 400;

/** Error codes shown to the user once while the engine keeps working (and retrying). */
const ANNOUNCED_ONCE = new Set(['update-failed', 'index-unwritable', 'watcher-failed']);

const highlight = vscode.window.createTextEditorDecorationType({
  backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  isWholeLine: true,
});
