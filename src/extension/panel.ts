import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  parseFromWebview,
  type FromWebview,
  type HitAction,
  type PanelClusters,
  type PanelHit,
  type PanelLocation,
  type PanelView,
  type ToWebview,
} from '../shared/webviewProtocol';
import { PendingMessages } from '../shared/pendingMessages';
import { CANCELLED } from '../shared/engineProtocol';
import type { Ctx } from './context';
import { EngineRequestError } from './engineClient';
import { answerNotes } from './searchWords';
import { describeStatus } from './statusBar';
import { panelHtml } from './panelHtml';

/**
 * The side panel: a webview view with Search, Similar and Clusters tabs. Messages are typed
 * (src/shared/webviewProtocol.ts) and every incoming one is validated; locations it sends are
 * confined to the workspace folders by Ctx.locate.
 */
export class KindredPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'kindred.panel';
  private view: vscode.WebviewView | undefined;
  /** What the panel needs when it shows: bounded, latest status and index-changed only. */
  private readonly queue = new PendingMessages<ToWebview>(new Set(['status', 'indexChanged', 'showView', 'clusterScopes']));
  private ready = false;
  private search: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** For tests: resolves each search round trip the webview starts. */
  private readonly roundTrip = new vscode.EventEmitter<{ query: string; hits: PanelHit[] }>();
  readonly onDidAnswerSearch = this.roundTrip.event;
  /** For tests: fires when the Clusters view received a clustering. */
  private readonly clustersShown = new vscode.EventEmitter<PanelClusters>();
  readonly onDidShowClusters = this.clustersShown.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly findSimilar: (loc?: PanelLocation) => Promise<void>,
  ) {
    this.disposables.push(
      ctx.onStatus(() => this.postStatus()),
      // The Clusters view refreshes itself (incrementally) when the index changes.
      ctx.client.onIndexChanged(() => this.post({ type: 'indexChanged' })),
      this.roundTrip,
      this.clustersShown,
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media');
    const script = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, script] };
    view.webview.html = this.html(view.webview, media, script);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const msg = parseFromWebview(raw);
        if (!msg) {
          this.ctx.output.warn(`panel: dropped a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
          return;
        }
        this.onMessage(msg).catch((e: unknown) => this.ctx.output.warn(`panel: ${(e as Error)?.message ?? String(e)}`));
      }),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
      }),
    );
  }

  private async onMessage(msg: FromWebview): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.postStatus();
        for (const m of this.queue.drain()) this.send(m);
        return;
      case 'search': {
        // A newer search (the next keystroke) cancels the one before it in the engine.
        this.search?.cancel();
        const cts = (this.search = new vscode.CancellationTokenSource());
        try {
          const filter = msg.filter;
          const answer = await this.ctx.client.request('answer', { query: msg.query, k: 40, ...(filter ? { filter } : {}) }, cts.token);
          const hits = answer.hits.map((h) => this.ctx.toPanelHit(h));
          const notes = answerNotes(answer, { includeTests: filter?.includeTests !== false, paths: filter?.path?.trim() ?? '' }, this.ctx.status);
          const state = {
            match: answer.match,
            ...(answer.partial ? { partial: answer.partial } : {}),
            ...(answer.keywordOnly ? { keywordOnly: answer.keywordOnly } : {}),
            notice: notes.length ? notes.join(' · ') : '',
          };
          this.post({ type: 'results', requestId: msg.requestId, query: msg.query, hits, state });
          this.roundTrip.fire({ query: msg.query, hits });
        } catch (e) {
          if (!(e instanceof EngineRequestError && e.code === CANCELLED)) this.post({ type: 'error', requestId: msg.requestId, message: (e as Error).message });
        } finally {
          cts.dispose();
          if (this.search === cts) this.search = undefined;
        }
        return;
      }
      case 'open':
        await this.ctx.open(msg.location);
        return;
      case 'findSimilar':
        await this.findSimilar(msg.location);
        return;
      case 'showView':
        return;
      case 'clusterScopes':
        try {
          this.post({ type: 'clusterScopes', folders: await this.ctx.client.request('scopes', {}) });
        } catch (e) {
          this.post({ type: 'error', message: (e as Error).message });
        }
        return;
      case 'clusters':
        try {
          const result = await this.ctx.client.request('clusters', { folder: msg.folder, method: msg.method, k: msg.k, scope: msg.scope });
          this.post({ type: 'clusters', requestId: msg.requestId, result });
          this.clustersShown.fire(result);
        } catch (e) {
          this.post({ type: 'clustersError', requestId: msg.requestId, message: (e as Error).message });
        }
        return;
      case 'hitAction':
        await this.hitAction(msg.action, msg.location);
        return;
    }
  }

  /** A result's button: open to the side, copy `path:start-end`, reveal in the Explorer, or find similar code. */
  private async hitAction(action: HitAction, loc: PanelLocation): Promise<void> {
    const uri = this.ctx.locate(loc);
    if (!uri) {
      this.ctx.output.warn(`panel: refused a location outside the workspace: ${JSON.stringify(loc)}`);
      return;
    }
    switch (action) {
      case 'openToSide': {
        const range = new vscode.Range(loc.startLine - 1, 0, loc.endLine - 1, 0);
        await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(range.start, range.start), preview: false });
        return;
      }
      case 'copyPath': {
        const lines = loc.startLine === loc.endLine ? `${loc.startLine}` : `${loc.startLine}-${loc.endLine}`;
        await vscode.env.clipboard.writeText(`${vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1)}:${lines}`);
        vscode.window.setStatusBarMessage('Kindred: path copied', 2000);
        return;
      }
      case 'revealInExplorer':
        await vscode.commands.executeCommand('revealInExplorer', uri);
        return;
      case 'findSimilar':
        await this.findSimilar(loc);
        return;
    }
  }

  post(msg: ToWebview): void {
    if (this.view && this.ready) this.send(msg);
    else this.queue.push(msg);
  }

  /** postMessage rejects when the view went away meanwhile: the message is then simply not needed. */
  private send(msg: ToWebview): void {
    this.view?.webview.postMessage(msg).then(undefined, () => undefined);
  }

  /** Reveals the panel on a tab. */
  async show(view: PanelView): Promise<void> {
    await vscode.commands.executeCommand(`${KindredPanel.viewId}.focus`);
    this.post({ type: 'showView', view });
  }

  /** Types a query into the panel's search box and runs it there (the webview sends the search back). */
  async searchInPanel(query: string): Promise<void> {
    await this.show('search');
    this.post({ type: 'runSearch', query });
  }

  private postStatus(): void {
    if (!this.view || !this.ready) return;
    const d = describeStatus(this.ctx.status);
    this.send({ type: 'status', status: { state: this.ctx.status.state, text: `${d.text} — ${d.tooltip}` } });
  }

  private html(webview: vscode.Webview, media: vscode.Uri, scriptDir: vscode.Uri): string {
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      // Built from src/webview/panel.ts by esbuild.mjs.
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(scriptDir, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
