import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  parseFromWebview,
  type FromWebview,
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
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
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
          const answer = await this.ctx.client.request('answer', { query: msg.query, k: 40 }, cts.token);
          const hits = answer.hits.map((h) => this.ctx.toPanelHit(h));
          const notes = answerNotes(answer, { includeTests: true, paths: '' }, this.ctx.status);
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
          this.post({ type: 'error', requestId: msg.requestId, message: (e as Error).message });
        }
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

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Kindred</title>
</head>
<body>
<nav class="tabs" role="tablist">
  <button role="tab" id="tab-search" data-view="search" aria-selected="true">Search</button>
  <button role="tab" id="tab-similar" data-view="similar" aria-selected="false">Similar</button>
  <button role="tab" id="tab-clusters" data-view="clusters" aria-selected="false">Clusters</button>
</nav>
<section id="view-search" class="view" role="tabpanel" aria-labelledby="tab-search">
  <input id="query" type="search" placeholder="Search by meaning…" aria-label="Search by meaning" autocomplete="off" spellcheck="false">
  <div id="search-results" class="results" role="listbox" aria-label="Search results"></div>
</section>
<section id="view-similar" class="view" role="tabpanel" aria-labelledby="tab-similar" hidden>
  <div id="similar-source" class="source">Select code in an editor and run <b>Kindred: Find Similar Code</b>.</div>
  <button id="similar-run" class="action">Find similar to the selection</button>
  <div id="similar-results" class="results" role="listbox" aria-label="Similar code"></div>
</section>
<section id="view-clusters" class="view" role="tabpanel" aria-labelledby="tab-clusters" hidden>
  <div class="controls">
    <select id="cl-scope" aria-label="Scope"></select>
    <select id="cl-method" aria-label="Method">
      <option value="kmeans">k-means</option>
      <option value="hierarchical">hierarchical</option>
    </select>
    <label for="cl-k">k</label>
    <input id="cl-k" type="number" min="2" max="60" placeholder="auto" aria-label="Number of clusters (empty: automatic)">
    <button id="cl-run" class="action">Cluster</button>
  </div>
  <div id="cl-summary" class="source" aria-live="polite">Groups of related files, by meaning.</div>
  <svg id="cl-map" viewBox="-2 -2 104 104" role="img" aria-label="Map of files coloured by cluster"></svg>
  <div id="cl-tree" role="tree" aria-label="Clusters"></div>
</section>
<footer id="status" class="status" aria-live="polite"></footer>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
