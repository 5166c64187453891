import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandId } from '../shared/commands';
import { CANCELLED, type AdaptOutcome } from '../shared/engineProtocol';
import type { PanelLocation } from '../shared/webviewProtocol';
import { readEngineConfig } from './config';
import type { Ctx } from './context';
import { EngineRequestError } from './engineClient';
import { installedWords, modelItemWords, shortName } from './modelChoices';
import type { KindredPanel } from './panel';
import { showSearchPick } from './quickPick';
import { adaptReport, evalReport, progressWords, reindexMessage } from './reports';
import { ReportView } from './reportView';
import { folderIndexOf } from '../shared/paths';

/** What a command needs: the context and the panel. */
export interface CommandDeps {
  ctx: Ctx;
  panel: KindredPanel;
}

type Command = (deps: CommandDeps) => (...args: never[]) => unknown;

/**
 * Every command of the extension, in one table. package.json's `contributes.commands`
 * lists the same ids (a unit test checks they agree).
 */
export const COMMANDS = {
  'kindred.search': (deps) => (query?: string) =>
    showSearchPick(deps.ctx, {
      title: 'Kindred: Search by Meaning',
      query: typeof query === 'string' ? query : undefined,
      findSimilarFrom: (h) => findSimilar(deps, { folder: h.folder, path: h.path, startLine: h.startLine, endLine: h.endLine }),
    }),

  // From the editor (selection), or from a result (a location: QuickPick button, panel).
  'kindred.findSimilar': (deps) => (location?: unknown) => findSimilar(deps, isLocation(location) ? location : undefined),

  'kindred.searchInPanel': ({ panel }) => (query?: string) => panel.searchInPanel(typeof query === 'string' ? query : ''),

  'kindred.reindex': ({ ctx }) => async () => {
    const started = Date.now();
    await ctx.client.request('reindex', { full: true });
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Kindred: reindexing', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void vscode.commands.executeCommand('kindred.pauseIndexing'));
        const sub = ctx.onStatus((s) => {
          if (s.progress) progress.report({ message: `${progressWords(s.progress)} (${s.progress.folder})` });
        });
        try {
          return await ctx.client.request('flush', {});
        } finally {
          sub.dispose();
        }
      },
    );
    const message = reindexMessage(status, (Date.now() - started) / 1000);
    if (status.state === 'error' || (status.error && status.state !== 'idle')) void vscode.window.showWarningMessage(message, 'Show Status').then((a) => a && vscode.commands.executeCommand('kindred.showStatus'));
    else void vscode.window.showInformationMessage(message, 'Show Status').then((a) => a && vscode.commands.executeCommand('kindred.showStatus'));
    return message;
  },

  'kindred.pauseIndexing': ({ ctx }) => async () => {
    await ctx.client.request('setPaused', { paused: true });
    void vscode.commands.executeCommand('setContext', 'kindred.paused', true);
  },

  'kindred.resumeIndexing': ({ ctx }) => async () => {
    await ctx.client.request('setPaused', { paused: false });
    void vscode.commands.executeCommand('setContext', 'kindred.paused', false);
  },

  // A Markdown report in the editor area; returns its text (tests).
  'kindred.showStatus': ({ ctx }) => () => ctx.showStatusReport(),

  'kindred.selectModel': ({ ctx }) => () => selectModel(ctx),

  'kindred.evaluateWorkspace': ({ ctx }) => async () => {
    const folder = ctx.status.folders.length > 1 ? await pickFolder(ctx) : 0;
    if (folder === undefined) return undefined;
    const name = ctx.status.folders[folder]?.name ?? '';
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kindred: evaluating search quality on ${name}`, cancellable: true },
        (_progress, token) => ctx.client.request('evalWorkspace', { folder }, token),
      );
      ctx.output.info(`Workspace evaluation of ${name}: ${JSON.stringify(report)}`);
      await ctx.reports.show(ReportView.evaluation, evalReport(report, name));
      return report;
    } catch (e) {
      if (e instanceof EngineRequestError && e.code === CANCELLED) return undefined;
      if (e instanceof EngineRequestError && (e.code === 'eval-too-few-pairs' || e.code === 'index-incomplete' || e.code === 'model-missing')) {
        // Not a failure: the evaluation declines, and says why.
        void vscode.window.showWarningMessage(`Kindred: ${e.message}${e.fix ? ` ${e.fix}` : ''}`);
        return { refused: e.code, message: e.message };
      }
      ctx.reportError('evaluation failed', e);
      return undefined;
    }
  },

  'kindred.showClusters': ({ panel }) => () => panel.show('clusters'),

  // Runs in the engine process; returns the report's text and the outcomes (tests), or undefined when cancelled.
  'kindred.adapt': ({ ctx }) => (folder?: number) => adaptSearch(ctx, typeof folder === 'number' ? folder : undefined),

  'kindred.turnOffAdapter': ({ ctx }) => () => setAdapter(ctx, false),

  'kindred.turnOnAdapter': ({ ctx }) => () => setAdapter(ctx, true),
} satisfies Record<CommandId, Command>;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, make]) => vscode.commands.registerCommand(id, (make as Command)(deps) as (...args: unknown[]) => unknown));
}

function isLocation(v: unknown): v is PanelLocation {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.folder === 'number' && typeof o.path === 'string' && typeof o.startLine === 'number' && typeof o.endLine === 'number';
}

/**
 * The model picker: each model in plain words (speed, size, quality), whether it is installed or bundled.
 * A missing model is only switched to once its download is allowed — by the user, in a trusted workspace.
 */
async function selectModel(ctx: Ctx): Promise<void> {
  const config = vscode.workspace.getConfiguration('kindred');
  const current = `${config.get<string>('model')}|${config.get<string>('modelPrecision')}`;
  const choices = await ctx.client.request('models', {});
  const items = choices.map((c) => ({ ...modelItemWords(c, `${c.id}|${c.dtype}` === current), choice: c }));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Kindred: Select Embedding Model',
    placeHolder: 'Kindred builds an index for the model you pick (the other indexes are kept)',
    matchOnDetail: true,
  });
  if (!pick || `${pick.choice.id}|${pick.choice.dtype}` === current) return;
  const c = pick.choice;
  if (!c.installed && !readEngineConfig().allowDownload) {
    const name = `${shortName(c.id)} (${c.dtype})`;
    if (!vscode.workspace.isTrusted) {
      const a = await vscode.window.showWarningMessage(
        `Kindred: ${name} is not installed, and this workspace is not trusted, so Kindred will not download it. Trust the workspace to allow the download, or pick an installed model.`,
        'Manage Workspace Trust',
      );
      if (a) void vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    const a = await vscode.window.showWarningMessage(
      `Kindred: ${name} is not installed (${installedWords(c).replace(/^not installed · /, '')}). Download it once from the Hugging Face Hub? This is the only network access Kindred makes.`,
      { modal: true },
      'Allow Download',
    );
    if (a !== 'Allow Download') return;
    await config.update('allowModelDownload', true, vscode.ConfigurationTarget.Global);
  }
  await config.update('modelPrecision', c.dtype, vscode.ConfigurationTarget.Global);
  await config.update('model', c.id, vscode.ConfigurationTarget.Global);
}

/** What a phase of adapting is called in the progress notification. */
const ADAPT_PHASES: Record<string, string> = {
  mining: 'reading files for training pairs',
  embedding: 'embedding passages',
  queries: 'embedding queries',
  training: 'training, epoch',
  'check-embedding': 'checking general queries (CoSQA): embedding its functions, once',
  'check-queries': 'checking general queries (CoSQA): embedding its queries',
};

/**
 * Adapt Search to This Workspace: in a workspace of several folders, asks which (or all, one after the
 * other); each run is a cancellable notification; the before/after report opens when it ends.
 */
async function adaptSearch(ctx: Ctx, folderArg: number | undefined): Promise<{ text: string; outcomes: AdaptOutcome[] } | undefined> {
  const folders = ctx.status.folders;
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('Kindred: open a folder to adapt search to it.');
    return undefined;
  }
  let chosen: number[];
  if (folderArg !== undefined && folders[folderArg]) chosen = [folderArg];
  else if (folders.length === 1) chosen = [0];
  else {
    const items = [
      ...folders.map((f, i) => ({ label: f.name, description: f.path, folders: [i] })),
      { label: 'All folders', description: 'one after the other', folders: folders.map((_, i) => i) },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Kindred: Adapt Search to which folder?' });
    if (!pick) return undefined;
    chosen = pick.folders;
  }
  const cosqaDir = vscode.workspace.getConfiguration('kindred').get<string>('adaptCheckFolder', '') || bundledCheckFolder(ctx.extension.extensionPath);
  const outcomes: AdaptOutcome[] = [];
  for (const folder of chosen) {
    const name = folders[folder].name;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kindred: adapting search to ${name}`, cancellable: true },
        async (progress, token) => {
          const sub = ctx.client.onAdaptProgress((p) => {
            if (p.folder !== name) return;
            const counts = p.total > 0 ? ` ${p.done}/${p.total}` : '';
            progress.report({ message: `${ADAPT_PHASES[p.phase] ?? p.phase}${counts}` });
          });
          try {
            return await ctx.client.request('adapt', { folder, ...(cosqaDir ? { cosqaDir } : {}) }, token);
          } finally {
            sub.dispose();
          }
        },
      );
      ctx.output.info(`Adapt search to ${name}: ${JSON.stringify(outcome.report ?? outcome.declined)}`);
      outcomes.push(outcome);
    } catch (e) {
      if (e instanceof EngineRequestError && e.code === CANCELLED) {
        void vscode.window.showInformationMessage(`Kindred: adapting search to ${name} was cancelled; nothing was changed.`);
        break;
      }
      ctx.reportError(`adapting search to ${name} failed`, e);
      break;
    }
  }
  if (!outcomes.length) return undefined;
  const text = outcomes.map((o) => adaptReport(o)).join('\n---\n\n');
  await ctx.reports.show(ReportView.adaptation, text);
  return { text, outcomes };
}

/** The CoSQA check packaged with the extension (scripts/package.mjs), if this build has it. */
function bundledCheckFolder(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, 'checks', 'cosqa');
  return existsSync(path.join(dir, 'code_idx_map.txt')) ? dir : undefined;
}

/** Turn Off (or On) Search Adapter: the folders whose adapter can be switched, asked when several. */
async function setAdapter(ctx: Ctx, enabled: boolean): Promise<unknown> {
  const candidates = ctx.status.folders.flatMap((f, i) => (f.adapter && (enabled ? !f.adapter.active && f.adapter.turnedOff : f.adapter.active) ? [{ label: f.name, description: f.path, i }] : []));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      enabled ? 'Kindred: no search adapter was turned off (an adapter kept off by its measurement stays off: adapt again).' : 'Kindred: no search adapter is on.',
    );
    return undefined;
  }
  const pick = candidates.length === 1 ? candidates[0] : await vscode.window.showQuickPick(candidates, { title: `Kindred: Turn ${enabled ? 'On' : 'Off'} Search Adapter of which folder?` });
  if (!pick) return undefined;
  try {
    const state = await ctx.client.request('setAdapter', { folder: pick.i, enabled });
    void vscode.window.showInformationMessage(
      enabled
        ? `Kindred: the search adapter of ${pick.label} is on again.`
        : `Kindred: the search adapter of ${pick.label} is off; search is as it was before adapting (the adapter is kept: Kindred: Turn On Search Adapter).`,
    );
    return state;
  } catch (e) {
    ctx.reportError(`turning the search adapter ${enabled ? 'on' : 'off'} failed`, e);
    return undefined;
  }
}

async function pickFolder(ctx: Ctx): Promise<number | undefined> {
  const pick = await vscode.window.showQuickPick(
    ctx.status.folders.map((f, i) => ({ label: f.name, description: f.path, i })),
    { title: 'Kindred: which folder?' },
  );
  return pick?.i;
}

/** The selection, or the innermost symbol under the cursor, or the paragraph around it. */
async function selectionRange(editor: vscode.TextEditor): Promise<vscode.Range> {
  if (!editor.selection.isEmpty) return editor.selection;
  const pos = editor.selection.active;
  try {
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>('vscode.executeDocumentSymbolProvider', editor.document.uri);
    let best: vscode.DocumentSymbol | undefined;
    const visit = (list: vscode.DocumentSymbol[] | undefined): void => {
      for (const s of list ?? []) {
        if (s.range && s.range.contains(pos)) {
          best = s;
          visit(s.children);
        }
      }
    };
    visit(symbols);
    if (best) return best.range;
  } catch {
    // No symbol provider for this language.
  }
  const doc = editor.document;
  let start = pos.line;
  let end = pos.line;
  while (start > 0 && !doc.lineAt(start - 1).isEmptyOrWhitespace) start--;
  while (end < doc.lineCount - 1 && !doc.lineAt(end + 1).isEmptyOrWhitespace) end++;
  return new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
}

export async function findSimilar({ ctx, panel }: CommandDeps, location?: PanelLocation): Promise<void> {
  let abs: string;
  let startLine: number;
  let endLine: number;
  let text: string | undefined;
  let label: string;
  if (location) {
    const uri = ctx.locate(location);
    if (!uri) return;
    abs = uri.fsPath;
    startLine = location.startLine;
    endLine = location.endLine;
    label = location.path.split('/').pop() ?? location.path;
  } else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Kindred: open a file and select some code to find similar code.');
      return;
    }
    const range = await selectionRange(editor);
    abs = editor.document.uri.fsPath;
    startLine = range.start.line + 1;
    endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
    // The editor's text, not the file's: unsaved edits count.
    text = editor.document.getText(new vscode.Range(startLine - 1, 0, endLine - 1, Number.MAX_SAFE_INTEGER));
    label = `${vscode.workspace.asRelativePath(editor.document.uri)}:${startLine}-${endLine}`;
  }
  try {
    const hits = await ctx.client.request('similar', { path: abs, startLine, endLine, text, k: 20 });
    const folderIdx = folderIndexOf(ctx.status.folders, abs);
    const rel = folderIdx >= 0 ? vscode.workspace.asRelativePath(abs, false) : abs;
    panel.post({ type: 'similar', source: { folder: Math.max(0, folderIdx), path: rel, startLine, endLine, label }, hits: hits.map((h) => ctx.toPanelHit(h)) });
    await showSearchPick(ctx, {
      title: `Kindred: Similar to ${label}`,
      initial: hits,
      findSimilarFrom: (h) => findSimilar({ ctx, panel }, { folder: h.folder, path: h.path, startLine: h.startLine, endLine: h.endLine }),
    });
  } catch (e) {
    ctx.reportError('find similar failed', e);
  }
}


