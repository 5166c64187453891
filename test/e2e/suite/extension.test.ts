/**
 * End-to-end tests inside a real VS Code extension host, on a copy of test/fixtures/workspace,
 * with the real embedding model. They drive the extension through its commands and check what
 * a user would see (editors that open, results, the panel's answers).
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { KindredApi } from '../../../src/extension/extension';
import type { WorkspaceHit } from '../../../src/shared/engineProtocol';

let api: KindredApi;
const root = (): string => vscode.workspace.workspaceFolders![0].uri.fsPath;

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function search(query: string, k = 5): Promise<WorkspaceHit[]> {
  return api.ctx.client.request('search', { query, k });
}

function activeRel(): string | undefined {
  const e = vscode.window.activeTextEditor;
  return e ? path.relative(root(), e.document.uri.fsPath).split(path.sep).join('/') : undefined;
}

describe('Kindred in a real VS Code', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension('kindred.kindred');
    assert.ok(ext, 'extension is installed');
    api = (await ext.activate()) as KindredApi;
  });

  it('activates and fills the index for the workspace', async () => {
    assert.ok(vscode.extensions.getExtension('kindred.kindred')!.isActive);
    const status = await waitFor('the first index', async () => {
      const s = await api.ctx.client.request('flush', {});
      return s.state === 'idle' && s.folders[0]?.files > 0 && s.folders[0].embedded === s.folders[0].chunks ? s : undefined;
    });
    assert.ok(status.folders[0].files >= 9, JSON.stringify(status.folders));
    assert.equal(status.dims, 384);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['kindred.search', 'kindred.findSimilar', 'kindred.reindex', 'kindred.showClusters']) assert.ok(commands.includes(id), id);
  });

  it('agents: kindred_search and kindred_findSimilar are language-model tools; the MCP provider and @kindred are registered', async () => {
    assert.deepEqual(api.agents, { lmTools: true, mcpProvider: true, chatParticipant: true });
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(names.includes('kindred_search') && names.includes('kindred_findSimilar'), names.join(', '));
    const textOf = (r: vscode.LanguageModelToolResult): string =>
      r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
    const found = textOf(
      await vscode.lm.invokeTool('kindred_search', { input: { query: 'upload a payload, retrying failures with exponential backoff', k: 3 }, toolInvocationToken: undefined }),
    );
    assert.match(found, /^1\. src\/upload\.py:\d+-\d+ upload_with_retry/m, found);
    const similar = textOf(
      await vscode.lm.invokeTool('kindred_findSimilar', { input: { path: 'src/sorting.c', startLine: 10, endLine: 25, k: 3 }, toolInvocationToken: undefined }),
    );
    assert.match(similar, /^1\. src\/legacy\/sort_copy\.c:/m, similar);
    const pkg = vscode.extensions.getExtension('kindred.kindred')!.packageJSON as { contributes: Record<string, { id?: string; name?: string }[]> };
    assert.equal(pkg.contributes.chatParticipants?.[0]?.name, 'kindred');
    assert.equal(pkg.contributes.mcpServerDefinitionProviders?.[0]?.id, 'kindred.mcpServers');
    // The server the MCP provider publishes starts with the editor's own runtime and answers a search.
    const { mcpServerDefinitions } = await import('../../../src/extension/mcpProvider');
    const defs = mcpServerDefinitions(api.ctx);
    assert.equal(defs.length, 1);
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...defs[0].env })) if (typeof v === 'string' || typeof v === 'number') env[k] = String(v);
    const client = new Client({ name: 'kindred-e2e', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: defs[0].command, args: defs[0].args, env, stderr: 'ignore' }));
    try {
      const r = await client.callTool({ name: 'search', arguments: { query: 'upload a payload, retrying failures with exponential backoff', k: 3 } });
      const results = (r.structuredContent as { results: { path: string; symbol: string | null }[] }).results;
      assert.ok(results.some((h) => h.path === 'src/upload.py' && h.symbol === 'upload_with_retry'), JSON.stringify(results));
    } finally {
      await client.close();
    }
  });

  it('Search by Meaning finds the answering function and opens it at its range', async () => {
    const hits = await search('read the contents of a file from disk');
    assert.equal(hits[0].path, 'src/fileUtils.ts');
    assert.equal(hits[0].symbol, 'readTextFile');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    void vscode.commands.executeCommand('kindred.search', 'read the contents of a file from disk');
    // Moving through results previews them: the first result's file opens in the background.
    await waitFor('the preview of the first result', () => activeRel() === 'src/fileUtils.ts');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await waitFor('the result to open', () => activeRel() === 'src/fileUtils.ts' && vscode.window.activeTextEditor!.selection.active.line === hits[0].startLine - 1);
  });

  it('Find Similar Code from a selection returns its near-duplicate', async () => {
    const doc = await vscode.workspace.openTextDocument(path.join(root(), 'src/sorting.c'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(9, 0, 25, 1); // quicksort(), lines 10-26
    void vscode.commands.executeCommand('kindred.findSimilar');
    await waitFor('the near-duplicate to be previewed', () => activeRel() === 'src/legacy/sort_copy.c');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    const hits = await api.ctx.client.request('similar', { path: doc.uri.fsPath, startLine: 10, endLine: 26, k: 5 });
    assert.equal(hits[0].path, 'src/legacy/sort_copy.c');
    assert.ok(!hits.some((h) => h.path === 'src/sorting.c' && h.startLine <= 26 && h.endLine >= 10), 'the selection itself is excluded');
  });

  it('a file created, edited and deleted on disk enters, changes and leaves the results', async () => {
    const file = path.join(root(), 'src/geo.ts');
    const q1 = 'great-circle distance between two GPS coordinates';
    const q2 = 'convert a temperature from celsius to fahrenheit';
    await fs.writeFile(
      file,
      '/** Haversine formula: great-circle distance in km between two latitude/longitude points. */\nexport function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {\n  const r = 6371;\n  const dLat = ((lat2 - lat1) * Math.PI) / 180;\n  const dLon = ((lon2 - lon1) * Math.PI) / 180;\n  const a = Math.sin(dLat / 2) ** 2 + Math.cos((lat1 * Math.PI) / 180) * Math.cos((lat2 * Math.PI) / 180) * Math.sin(dLon / 2) ** 2;\n  return 2 * r * Math.asin(Math.sqrt(a));\n}\n',
    );
    await waitFor('the new file in results', async () => (await search(q1))[0]?.path === 'src/geo.ts');
    await fs.writeFile(file, '/** Converts degrees Celsius to degrees Fahrenheit. */\nexport function celsiusToFahrenheit(c: number): number {\n  return (c * 9) / 5 + 32;\n}\n');
    await waitFor('the edited file in results', async () => {
      const hits = await search(q2);
      return hits[0]?.path === 'src/geo.ts' && hits[0].symbol === 'celsiusToFahrenheit';
    });
    assert.ok(!(await search(q1, 20)).some((h) => h.symbol === 'haversineKm'), 'the old content is gone');
    await fs.rm(file);
    await waitFor('the deleted file to leave the results', async () => !(await search(q2, 20)).some((h) => h.path === 'src/geo.ts'));
  });

  it("the panel's webview answers a search round trip", async () => {
    const answered = new Promise<{ query: string; hits: { path: string }[] }>((resolve) => {
      const sub = api.panel.onDidAnswerSearch((a) => {
        sub.dispose();
        resolve(a);
      });
    });
    await vscode.commands.executeCommand('kindred.searchInPanel', 'retry failed uploads with backoff');
    const a = await Promise.race([answered, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer from the webview')), 60_000))]);
    assert.equal(a.query, 'retry failed uploads with backoff');
    assert.equal(a.hits[0].path, 'src/upload.py');
  });

  it('the Clusters view shows clusters of the workspace files', async () => {
    const shown = new Promise<import('../../../src/shared/webviewProtocol').PanelClusters>((resolve) => {
      const sub = api.panel.onDidShowClusters((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    await vscode.commands.executeCommand('kindred.showClusters');
    const r = await Promise.race([shown, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no clusters shown')), 90_000))]);
    const status = await api.ctx.client.request('status', {});
    assert.ok(r.clusters.length >= 2, `${r.clusters.length} clusters`);
    assert.equal(r.items, status.folders[0].files, 'every indexed file is in a cluster');
    const files = r.clusters.flatMap((c) => c.files.map((f) => f.path));
    assert.ok(files.includes('src/sorting.c') && files.includes('docs/guide.md'));
    for (const c of r.clusters) assert.ok(c.label.length > 0 && c.terms.length > 0, JSON.stringify(c));
  });

  it('Evaluate Search Quality measures the model on the workspace (doc comments as queries)', async () => {
    const report = (await vscode.commands.executeCommand('kindred.evaluateWorkspace')) as import('../../../src/core/eval/workspace').WorkspaceReport;
    assert.ok(report && report.pairs >= 5, JSON.stringify(report));
    for (const mode of ['bm25', 'vector', 'hybrid'] as const) {
      const mrr = report.modes[mode]!.mrr;
      assert.ok(mrr > 0 && mrr <= 1, `${mode} MRR ${mrr}`);
    }
  });

  it('a folder inside a repository is indexed as git sees it (parent .gitignore, .git/info/exclude)', async () => {
    const hits = await search('zebraTrackedFunction zebraGeneratedClient zebraIgnoredTokens zebraInfoExcluded', 10);
    const paths = hits.map((h) => h.path);
    assert.ok(paths.includes('src/zebra.ts'), JSON.stringify(paths));
    for (const p of ['generated-by-parent/api.ts', 'src/tokens.parentignored.ts', 'excluded-by-info/notes.ts']) assert.ok(!paths.includes(p), `${p} is ignored by git`);
  });

  it('the engine runs in its own process: SIGKILL of it leaves the editor working and search comes back', async () => {
    const pid = api.ctx.client.pid;
    assert.ok(pid && pid !== process.pid, `engine pid ${pid}, extension host ${process.pid}`);
    const starts = api.ctx.client.starts;
    process.kill(pid, 'SIGKILL');
    // The extension host (this process) and the editor carry on.
    const doc = await vscode.workspace.openTextDocument({ content: 'still editing', language: 'plaintext' });
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '> '));
    assert.equal(doc.getText(), '> still editing');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const hits = await waitFor('search after the restart', async () => {
      const h = await search('check whether a number is prime').catch(() => undefined);
      return h && h.length > 0 ? h : undefined;
    });
    assert.equal(hits[0].symbol, 'IsPrime');
    assert.equal(api.ctx.client.starts, starts + 1, 'one new engine process');
    assert.notEqual(api.ctx.client.pid, pid);
  });

  it('switching model precision back and forth five times quickly ends with one engine, one watcher and a complete index', async () => {
    const config = vscode.workspace.getConfiguration('kindred');
    const starts = api.ctx.client.starts;
    for (let i = 0; i < 5; i++) {
      await config.update('modelPrecision', 'fp32', vscode.ConfigurationTarget.Global);
      await config.update('model', 'Xenova/all-MiniLM-L6-v2', vscode.ConfigurationTarget.Global);
      await config.update('modelPrecision', i < 4 ? 'q8' : 'fp32', vscode.ConfigurationTarget.Global);
    }
    const status = await waitFor(
      'the index for the final choice',
      async () => {
        const s = await api.ctx.client.request('flush', {});
        const f = s.folders[0];
        return s.dtype === 'fp32' && s.state === 'idle' && f && f.chunks > 0 && f.embedded === f.chunks ? s : undefined;
      },
      180_000,
    );
    assert.deepEqual(status.live, { runtimes: 1, watchers: 1 });
    assert.equal(status.folders.length, 1);
    assert.equal(api.ctx.client.starts, starts, 'the engine process was not restarted');
    const hits = await search('check whether a number is prime');
    assert.equal(hits[0].symbol, 'IsPrime', 'search works with the new precision');
    // Back to the default for the tests after this one.
    await config.update('modelPrecision', undefined, vscode.ConfigurationTarget.Global);
    await config.update('model', undefined, vscode.ConfigurationTarget.Global);
    await waitFor('the default precision again', async () => {
      const s = await api.ctx.client.request('flush', {});
      return s.dtype === 'q8' && s.state === 'idle' && s.folders[0]?.embedded === s.folders[0]?.chunks ? s : undefined;
    }, 180_000);
  });

  it('pausing stops indexing and resuming catches up', async () => {
    await vscode.commands.executeCommand('kindred.pauseIndexing');
    const file = path.join(root(), 'src/paused.py');
    await fs.writeFile(file, 'def parse_iso_timestamp(text):\n    """Parse an ISO 8601 timestamp string into a datetime."""\n    return datetime.fromisoformat(text)\n');
    // The engine has seen the change (it is pending) and, paused, has not indexed it.
    const seen = await waitFor('the watcher to see the change', async () => {
      const s = await api.ctx.client.request('status', {});
      return (s.pendingFiles ?? 0) > 0 ? s : undefined;
    });
    assert.equal(seen.state, 'paused');
    assert.ok(!(await search('parse an ISO 8601 timestamp')).some((h) => h.path === 'src/paused.py'));
    await vscode.commands.executeCommand('kindred.resumeIndexing');
    await waitFor('the change made while paused', async () => (await search('parse an ISO 8601 timestamp'))[0]?.path === 'src/paused.py');
    await fs.rm(file);
  });
});
