import * as vscode from 'vscode';
import type { WorkspaceHit } from '../shared/engineProtocol';
import type { Ctx } from './context';
import { EngineRequestError } from './engineClient';
import { CANCELLED } from '../shared/engineProtocol';

function isCancelled(e: unknown): boolean {
  return e instanceof EngineRequestError && e.code === CANCELLED;
}

interface HitItem extends vscode.QuickPickItem {
  hit: WorkspaceHit;
}

const DEBOUNCE_MS = 150;

function item(ctx: Ctx, h: WorkspaceHit): HitItem {
  const folder = ctx.status.folders.length > 1 ? `${ctx.status.folders[h.folder]?.name}/` : '';
  return {
    label: `$(symbol-${h.symbol ? 'function' : 'file'}) ${h.symbol ?? h.path.split('/').pop()}`,
    description: `${folder}${h.path}:${h.startLine}-${h.endLine}`,
    detail: `${h.score.toFixed(3)}  ${h.preview}`,
    hit: h,
    alwaysShow: true,
  };
}

/**
 * A QuickPick that searches as you type (debounced), previews the location as you move
 * through results, and opens it on Enter. `initial` pre-fills results (find-similar).
 */
export async function showSearchPick(ctx: Ctx, opts: { title: string; query?: string; initial?: WorkspaceHit[] } = { title: 'Search by Meaning' }): Promise<void> {
  const qp = vscode.window.createQuickPick<HitItem>();
  qp.title = opts.title;
  qp.placeholder = opts.initial ? 'Similar code — type to filter' : 'Describe what you are looking for, e.g. "where do we retry failed uploads?"';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  let seq = 0;
  /** The search in flight: a newer keystroke cancels it in the engine too. */
  let inflight: vscode.CancellationTokenSource | undefined;
  let timer: NodeJS.Timeout | undefined;
  let accepted = false;
  let previewed = false;
  // Where the user was, to go back there if they cancel after previewing results.
  const origin = vscode.window.activeTextEditor;
  const originSelection = origin?.selection;

  const run = async (query: string): Promise<void> => {
    const mine = ++seq;
    inflight?.cancel();
    inflight?.dispose();
    inflight = undefined;
    if (!query.trim()) {
      qp.items = [];
      qp.busy = false;
      return;
    }
    qp.busy = true;
    const cts = (inflight = new vscode.CancellationTokenSource());
    try {
      const hits = await ctx.client.request('search', { query, k: 30 }, cts.token);
      if (mine !== seq) return;
      qp.items = hits.map((h) => item(ctx, h));
    } catch (e) {
      if (mine === seq && !isCancelled(e)) ctx.reportError('search failed', e);
    } finally {
      if (mine === seq) qp.busy = false;
    }
  };

  if (opts.initial) {
    qp.items = opts.initial.map((h) => item(ctx, h));
  } else {
    // Filtering by the typed text would hide semantic matches that share no words with it:
    // items are `alwaysShow`, and (where the API allows) not re-sorted by label.
    (qp as unknown as { sortByLabel: boolean }).sortByLabel = false;
    qp.matchOnDescription = false;
    qp.matchOnDetail = false;
    qp.onDidChangeValue((v) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(v), DEBOUNCE_MS);
    });
  }
  qp.onDidChangeActive((items) => {
    const h = items[0]?.hit;
    if (h) {
      previewed = true;
      void ctx.open(h, true);
    }
  });
  qp.onDidAccept(() => {
    const h = qp.selectedItems[0]?.hit ?? qp.activeItems[0]?.hit;
    if (!h) return;
    accepted = true;
    qp.hide();
    void ctx.open(h, false);
  });
  const closed = new Promise<void>((resolve) =>
    qp.onDidHide(() => {
      if (timer) clearTimeout(timer);
      inflight?.cancel();
      qp.dispose();
      if (!accepted && previewed && origin && originSelection) {
        void vscode.window.showTextDocument(origin.document, { selection: originSelection, viewColumn: origin.viewColumn }).then(undefined, () => undefined);
      }
      resolve();
    }),
  );
  if (opts.query) {
    qp.value = opts.query;
    void run(opts.query);
  }
  qp.show();
  return closed;
}
