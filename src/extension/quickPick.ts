import * as vscode from 'vscode';
import type { WorkspaceAnswer, WorkspaceHit } from '../shared/engineProtocol';
import type { Ctx } from './context';
import { EngineRequestError } from './engineClient';
import { CANCELLED } from '../shared/engineProtocol';
import { answerTitle, relevanceBar, matchedLineOf } from './searchWords';

function isCancelled(e: unknown): boolean {
  return e instanceof EngineRequestError && e.code === CANCELLED;
}

interface HitItem extends vscode.QuickPickItem {
  hit?: WorkspaceHit;
  /** A recent query offered while the input is empty. */
  recent?: string;
}

const DEBOUNCE_MS = 150;
/** Recent queries kept per workspace. */
const HISTORY_SIZE = 15;
const HISTORY_KEY = 'kindred.search.history';
const INCLUDE_TESTS_KEY = 'kindred.search.includeTests';
const PATHS_KEY = 'kindred.search.paths';

/** Buttons on each result. */
const OPEN_SIDE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('split-horizontal'), tooltip: 'Open to the Side' };
const COPY_PATH: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('copy'), tooltip: 'Copy Path' };
const REVEAL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Reveal in Explorer' };
const SIMILAR: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('references'), tooltip: 'Find Similar Code from Here' };

/** What the search QuickPick remembers per workspace: the filters and the recent queries. */
export function searchSettings(ctx: Ctx): { includeTests: boolean; paths: string; history: string[] } {
  const state = ctx.extension.workspaceState;
  return {
    includeTests: state.get<boolean>(INCLUDE_TESTS_KEY, true),
    paths: state.get<string>(PATHS_KEY, ''),
    history: state.get<string[]>(HISTORY_KEY, []),
  };
}

function rememberQuery(ctx: Ctx, query: string): void {
  const q = query.trim();
  if (!q) return;
  const history = [q, ...searchSettings(ctx).history.filter((h) => h !== q)].slice(0, HISTORY_SIZE);
  void ctx.extension.workspaceState.update(HISTORY_KEY, history);
}

function item(ctx: Ctx, h: WorkspaceHit): HitItem {
  const folder = ctx.status.folders.length > 1 ? `${ctx.status.folders[h.folder]?.name}/` : '';
  const bar = relevanceBar(h.relevance);
  return {
    label: `$(symbol-${h.symbol ? 'function' : 'file'}) ${h.symbol ?? h.path.split('/').pop()}`,
    description: `${folder}${h.path}:${h.startLine}-${h.endLine}${h.duplicates?.length ? ` · identical in ${h.duplicates.length} more ${h.duplicates.length === 1 ? 'place' : 'places'}` : ''}`,
    detail: `${bar ? `${bar}  ` : ''}${matchedLineOf(h) ?? h.preview}`,
    hit: h,
    alwaysShow: true,
    buttons: [OPEN_SIDE, COPY_PATH, REVEAL, SIMILAR],
  };
}

/** The editor to go back to when the picker is dismissed: only a real file or untitled editor (not the Output panel's document). */
function restorableEditor(): vscode.TextEditor | undefined {
  const e = vscode.window.activeTextEditor;
  if (!e || (e.document.uri.scheme !== 'file' && e.document.uri.scheme !== 'untitled')) return undefined;
  return e;
}

export interface SearchPickOptions {
  title: string;
  query?: string;
  /** Pre-filled results (find-similar): filtered by typing, no search. */
  initial?: WorkspaceHit[];
  /** Opens a result's location: find-similar from it (QuickPick item button). */
  findSimilarFrom?: (h: WorkspaceHit) => Promise<void>;
}

/**
 * A QuickPick that searches as you type (debounced), previews the location as you move through results,
 * and opens it on Enter. Its title says when there is no good match, when results are partial (indexing)
 * and when search is by keywords only; buttons toggle tests and set a folder/glob filter; each result
 * opens to the side, copies its path, reveals it, or finds similar code. Recent queries are offered while
 * the input is empty. Resolves when the picker is closed (and the editor it was opened from is back).
 */
export async function showSearchPick(ctx: Ctx, opts: SearchPickOptions = { title: 'Kindred: Search by Meaning' }): Promise<void> {
  const qp = vscode.window.createQuickPick<HitItem>();
  const settings = searchSettings(ctx);
  let includeTests = settings.includeTests;
  let paths = settings.paths;
  qp.title = opts.title;
  qp.placeholder = opts.initial ? 'Similar code — type to filter' : 'Describe what you are looking for, e.g. "where do we retry failed uploads?"';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  let seq = 0;
  /** The search in flight: a newer keystroke cancels it in the engine too. */
  let inflight: vscode.CancellationTokenSource | undefined;
  let timer: NodeJS.Timeout | undefined;
  let accepted = false;
  /** The picker hides to ask for a filter and opens again: nothing to restore then. */
  let reopening = false;
  /** Preview editors this picker opened (to close again when dismissed from no editor). */
  let previewed: vscode.Uri | undefined;
  let last: WorkspaceAnswer | undefined;
  // Where the user was, to go back there if they dismiss the picker after previewing results.
  const origin = restorableEditor();
  const originSelection = origin?.selection;

  const filterButtons = (): void => {
    if (opts.initial) return;
    qp.buttons = [
      {
        iconPath: new vscode.ThemeIcon(includeTests ? 'beaker' : 'beaker-stop'),
        tooltip: includeTests ? 'Tests are included — click to leave them out' : 'Tests are left out — click to include them',
      },
      { iconPath: new vscode.ThemeIcon(paths ? 'filter-filled' : 'filter'), tooltip: paths ? `Only in ${paths} — click to change` : 'Only in a folder or glob…' },
    ];
  };

  const retitle = (): void => {
    if (opts.initial) return;
    qp.title = answerTitle(opts.title, last, { includeTests, paths }, ctx.status);
  };

  const showHistory = (): void => {
    qp.items = searchSettings(ctx).history.map((q) => ({ label: `$(history) ${q}`, description: 'recent search', recent: q, alwaysShow: true }));
  };

  const run = async (query: string): Promise<void> => {
    const mine = ++seq;
    inflight?.cancel();
    inflight?.dispose();
    inflight = undefined;
    if (!query.trim()) {
      last = undefined;
      retitle();
      showHistory();
      qp.busy = false;
      return;
    }
    qp.busy = true;
    const cts = (inflight = new vscode.CancellationTokenSource());
    try {
      const answer = await ctx.client.request('answer', { query, k: 30, filter: { includeTests, ...(paths ? { path: paths } : {}) } }, cts.token);
      if (mine !== seq) return;
      last = answer;
      retitle();
      const items = answer.hits.map((h) => item(ctx, h));
      if (answer.match === 'none' && items.length) {
        qp.items = [{ label: 'No good match — showing keyword hits', kind: vscode.QuickPickItemKind.Separator }, ...items];
      } else if (items.length === 0) {
        // An empty list shows nothing at all: say so in a row.
        const label = answer.match === 'none' ? '$(info) No good match, and no keyword hits' : '$(info) No results';
        qp.items = [{ label, description: paths || !includeTests ? 'try other words, or loosen the filters' : 'try other words', alwaysShow: true }];
      } else {
        qp.items = items;
      }
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
      if (!v.trim()) void run(v);
      else timer = setTimeout(() => void run(v), DEBOUNCE_MS);
    });
    filterButtons();
    retitle();
    qp.onDidTriggerButton(async (b) => {
      if (b === qp.buttons[0]) {
        includeTests = !includeTests;
        await ctx.extension.workspaceState.update(INCLUDE_TESTS_KEY, includeTests);
        filterButtons();
        void run(qp.value);
      } else {
        // A second input cannot show while the picker is open: ask, then open the picker again with the same query.
        reopening = true;
        const query = qp.value;
        qp.hide();
        const spec = await vscode.window.showInputBox({
          title: 'Kindred: search only in',
          prompt: 'A folder (src/core), a file, or globs (*.ts, lib/**/*.js), comma-separated. Empty: everywhere.',
          value: paths,
        });
        if (spec !== undefined) await ctx.extension.workspaceState.update(PATHS_KEY, spec.trim());
        void showSearchPick(ctx, { ...opts, query });
      }
    });
  }
  qp.onDidChangeActive((items) => {
    const h = items[0]?.hit;
    if (h) {
      const uri = ctx.locate(h);
      if (uri) previewed = uri;
      void ctx.open(h, true);
    }
  });
  qp.onDidTriggerItemButton(async ({ button, item: it }) => {
    const h = it.hit;
    if (!h) return;
    const uri = ctx.locate(h);
    if (button === COPY_PATH) {
      if (uri) await vscode.env.clipboard.writeText(vscode.workspace.asRelativePath(uri, ctx.status.folders.length > 1));
      return;
    }
    accepted = true;
    qp.hide();
    if (button === OPEN_SIDE) await ctx.open(h, false, vscode.ViewColumn.Beside);
    else if (button === REVEAL && uri) await vscode.commands.executeCommand('revealInExplorer', uri);
    else if (button === SIMILAR) await (opts.findSimilarFrom ?? (() => vscode.commands.executeCommand('kindred.findSimilar', { folder: h.folder, path: h.path, startLine: h.startLine, endLine: h.endLine })))(h);
  });
  qp.onDidAccept(() => {
    const sel = qp.selectedItems[0] ?? qp.activeItems[0];
    if (sel?.recent !== undefined) {
      qp.value = sel.recent;
      void run(sel.recent);
      return;
    }
    const h = sel?.hit;
    if (!h) return;
    accepted = true;
    if (!opts.initial) rememberQuery(ctx, qp.value);
    qp.hide();
    void ctx.open(h, false);
  });
  const closed = new Promise<void>((resolve) =>
    qp.onDidHide(async () => {
      if (timer) clearTimeout(timer);
      inflight?.cancel();
      qp.dispose();
      if (!accepted && !reopening && previewed) {
        if (!opts.initial && qp.value.trim()) rememberQuery(ctx, qp.value);
        // Back to where the user was; never to the Output panel's document, which would open as an editor tab.
        if (origin && originSelection) {
          await vscode.window.showTextDocument(origin.document, { selection: originSelection, viewColumn: origin.viewColumn }).then(undefined, () => undefined);
        } else {
          await closePreview(previewed);
        }
      }
      resolve();
    }),
  );
  if (opts.query) {
    qp.value = opts.query;
    void run(opts.query);
  } else if (!opts.initial) {
    showHistory();
  }
  qp.show();
  return closed;
}

/** Closes the preview tab of `uri` (opened by moving through results) if it is still a preview. */
async function closePreview(uri: vscode.Uri): Promise<void> {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.isPreview && tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri.toString()) {
        await vscode.window.tabGroups.close(tab).then(undefined, () => undefined);
      }
    }
  }
}
