import * as vscode from 'vscode';
import { KNOWN_MODELS, MODEL_MEASUREMENTS, modelInfo } from '../core/embedding/models';
import type { CommandId } from '../shared/commands';
import type { PanelLocation } from '../shared/webviewProtocol';
import type { Ctx } from './context';
import type { KindredPanel } from './panel';
import { showSearchPick } from './quickPick';
import { describeStatus } from './statusBar';
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
  'kindred.search': ({ ctx }) => (query?: string) => showSearchPick(ctx, { title: 'Kindred: Search by Meaning', query: typeof query === 'string' ? query : undefined }),

  'kindred.findSimilar': (deps) => () => findSimilar(deps),

  'kindred.searchInPanel': ({ panel }) => (query?: string) => panel.searchInPanel(typeof query === 'string' ? query : ''),

  'kindred.reindex': ({ ctx }) => async () => {
    await ctx.client.request('reindex', { full: true });
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Kindred: re-indexing', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void vscode.commands.executeCommand('kindred.pauseIndexing'));
        const sub = ctx.onStatus((s) => {
          if (s.progress) progress.report({ message: `${s.progress.phase} ${s.progress.done}/${s.progress.total} (${s.progress.folder})` });
        });
        try {
          await ctx.client.request('flush', {});
        } finally {
          sub.dispose();
        }
      },
    );
  },

  'kindred.pauseIndexing': ({ ctx }) => async () => {
    await ctx.client.request('setPaused', { paused: true });
    void vscode.commands.executeCommand('setContext', 'kindred.paused', true);
  },

  'kindred.resumeIndexing': ({ ctx }) => async () => {
    await ctx.client.request('setPaused', { paused: false });
    void vscode.commands.executeCommand('setContext', 'kindred.paused', false);
  },

  'kindred.showStatus': ({ ctx }) => async () => {
    const s = await ctx.client.request('status', {});
    const d = describeStatus(s);
    const folders = s.folders.map((f) => `${f.name}: ${f.files} files, ${f.embedded}/${f.chunks} chunks embedded, ${(f.bytesOnDisk / 1e6).toFixed(1)} MB`).join('\n');
    const last = s.lastUpdate ? `\nLast update: ${s.lastUpdate.embedded} embedded, ${s.lastUpdate.reused} reused, ${s.lastUpdate.deleted} removed, ${s.lastUpdate.skipped} skipped in ${s.lastUpdate.seconds}s` : '';
    const pick = await vscode.window.showInformationMessage(
      d.text,
      { modal: false, detail: `${folders}\nModel: ${s.model} (${s.dims} dims)${last}` },
      'Show Log',
      s.state === 'paused' ? 'Resume Indexing' : 'Pause Indexing',
      'Reindex',
    );
    if (pick === 'Show Log') ctx.output.show();
    if (pick === 'Pause Indexing') await vscode.commands.executeCommand('kindred.pauseIndexing');
    if (pick === 'Resume Indexing') await vscode.commands.executeCommand('kindred.resumeIndexing');
    if (pick === 'Reindex') await vscode.commands.executeCommand('kindred.reindex');
    return s;
  },

  'kindred.selectModel': () => async () => {
    const config = vscode.workspace.getConfiguration('kindred');
    const current = `${config.get<string>('model')}|${config.get<string>('modelPrecision')}`;
    // The table measured with `kindred eval` (docs/model-eval.md): quality on CoSQA and on a held-out repository, speed, size.
    const measured = MODEL_MEASUREMENTS.map((m) => ({
      label: `${m.id}  (${m.dtype})`,
      description: `${modelInfo(m.id).dims} dims · ${m.sizeMB} MB${`${m.id}|${m.dtype}` === current ? ' · current' : ''}`,
      detail: `CoSQA MRR ${m.cosqaMrr.toFixed(3)}, nDCG@10 ${m.cosqaNdcg10.toFixed(3)} · code-repo MRR ${m.workspaceMrr.toFixed(3)} · ~${m.textsPerSecond} texts/s on 2 cores`,
      id: m.id,
      dtype: m.dtype,
    }));
    const others = KNOWN_MODELS.filter((k) => !MODEL_MEASUREMENTS.some((m) => m.id === k.id)).map((k) => ({
      label: `${k.id}  (q8)`,
      description: `${k.dims} dims · not measured here`,
      detail: `${k.description} Needs the model in the models folder or kindred.allowModelDownload.`,
      id: k.id,
      dtype: 'q8' as const,
    }));
    const pick = await vscode.window.showQuickPick([...measured, ...others], {
      title: 'Kindred: Select Embedding Model (hybrid search quality measured with kindred eval)',
      placeHolder: 'The index is rebuilt with the new model',
      matchOnDetail: true,
    });
    if (!pick || `${pick.id}|${pick.dtype}` === current) return;
    await config.update('modelPrecision', pick.dtype, vscode.ConfigurationTarget.Global);
    await config.update('model', pick.id, vscode.ConfigurationTarget.Global);
  },

  'kindred.evaluateWorkspace': ({ ctx }) => async () => {
    const folder = ctx.status.folders.length > 1 ? await pickFolder(ctx) : 0;
    if (folder === undefined) return;
    const name = ctx.status.folders[folder]?.name ?? '';
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kindred: evaluating search quality on ${name}` },
        () => ctx.client.request('evalWorkspace', { folder }),
      );
      ctx.output.info(`Workspace evaluation: ${JSON.stringify(report)}`);
      const m = report.modes;
      const line = (['bm25', 'vector', 'hybrid'] as const)
        .filter((k) => m[k])
        .map((k) => `${k} ${m[k]!.mrr.toFixed(3)}`)
        .join(', ');
      void vscode.window
        .showInformationMessage(`Kindred: ${report.pairs} doc-comment → code pairs in ${name}. MRR: ${line} (model ${report.model}, ${report.dtype}).`, 'Show Details')
        .then((pick) => pick === 'Show Details' && ctx.output.show());
      return report;
    } catch (e) {
      ctx.reportError('evaluation failed', e);
      return undefined;
    }
  },

  'kindred.showClusters': ({ panel }) => () => panel.show('clusters'),
} satisfies Record<CommandId, Command>;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, make]) => vscode.commands.registerCommand(id, (make as Command)(deps) as (...args: unknown[]) => unknown));
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
    await showSearchPick(ctx, { title: `Kindred: Similar to ${label}`, initial: hits });
  } catch (e) {
    ctx.reportError('find similar failed', e);
  }
}


