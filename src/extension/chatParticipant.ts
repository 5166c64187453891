/**
 * The `@kindred` chat participant: answers a question with the workspace's best matches as
 * references and anchors (no language model needed). `/similar` finds code like the selection.
 */
import * as vscode from 'vscode';
import type { WorkspaceHit } from '../shared/engineProtocol';
import type { Ctx } from './context';
import { displayPath } from './lmTools';

export const PARTICIPANT_ID = 'kindred.chat';

function answer(ctx: Ctx, hits: WorkspaceHit[], stream: vscode.ChatResponseStream, what: string): void {
  if (!hits.length) {
    stream.markdown(`No matches for ${what}.`);
    return;
  }
  stream.markdown(`Best matches for ${what}:\n\n`);
  for (const h of hits) {
    const uri = ctx.locate(h);
    if (!uri) continue;
    const range = new vscode.Range(h.startLine - 1, 0, h.endLine - 1, 0);
    const loc = new vscode.Location(uri, range);
    stream.reference(loc);
    stream.markdown('- ');
    stream.anchor(loc, `${displayPath(ctx, h)}:${h.startLine}-${h.endLine}`);
    stream.markdown(`${h.symbol ? ` \`${h.symbol}\`` : ''} (score ${h.score})\n`);
  }
}

export function registerChatParticipant(ctx: Ctx): vscode.Disposable[] {
  const handler: vscode.ChatRequestHandler = async (request, _context, stream) => {
    try {
      if (request.command === 'similar') {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.document.uri.scheme !== 'file') {
          stream.markdown('Open a file and select the code to compare first.');
          return {};
        }
        const sel = editor.selection;
        const startLine = sel.isEmpty ? 1 : sel.start.line + 1;
        const endLine = sel.isEmpty ? editor.document.lineCount : sel.end.line + 1;
        const hits = await ctx.client.request('similar', { path: editor.document.uri.fsPath, startLine, endLine, text: editor.document.getText(sel.isEmpty ? undefined : sel), k: 10 });
        answer(ctx, hits, stream, `${vscode.workspace.asRelativePath(editor.document.uri)}:${startLine}-${endLine}`);
        return {};
      }
      const query = request.prompt.trim();
      if (!query) {
        stream.markdown('Describe the code you are looking for, e.g. `@kindred where is the retry policy for uploads decided?`');
        return {};
      }
      stream.progress('Searching the workspace by meaning...');
      answer(ctx, await ctx.client.request('search', { query, k: 10 }), stream, `"${query}"`);
    } catch (e) {
      stream.markdown(`Kindred could not search: ${(e as Error).message}`);
    }
    return {};
  };
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, handler);
  participant.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'kindred.svg');
  return [participant];
}
