import * as vscode from 'vscode';
import { registerCommands, findSimilar } from './commands';
import { Ctx } from './context';
import { KindredPanel } from './panel';
import { registerAgentFeatures, type AgentFeatures } from './agents';

/** What activate() returns: used by the end-to-end tests to reach the running extension. */
export interface KindredApi {
  ctx: Ctx;
  panel: KindredPanel;
  /** Agent features the host supports (language-model tools, MCP provider, @kindred). */
  agents: AgentFeatures;
}

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<KindredApi> {
  ctx = new Ctx(context);
  const panel: KindredPanel = new KindredPanel(ctx, (loc): Promise<void> => findSimilar({ ctx: ctx!, panel }, loc));
  const c = ctx;
  c.push(
    panel,
    vscode.window.registerWebviewViewProvider(KindredPanel.viewId, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    ...registerCommands({ ctx: c, panel }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kindred') || e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude')) c.configureSoon();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => c.configureSoon()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => c.configureSoon()),
    // Open and just-saved files are embedded first.
    vscode.window.onDidChangeActiveTextEditor((e) => {
      if (e?.document.uri.scheme === 'file') c.client.request('prioritize', { paths: [e.document.uri.fsPath] }).catch(() => undefined); // a hint: lost during a restart
    }),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d.uri.scheme === 'file') c.client.request('prioritize', { paths: [d.uri.fsPath] }).catch(() => undefined);
    }),
  );
  const agents = registerAgentFeatures(c);
  // Starting the engine is asynchronous: activation returns at once and VS Code's start is not delayed.
  void c.configure();
  return { ctx: c, panel, agents };
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  if (c) {
    await c.client.shutdown();
    c.dispose();
  }
}
