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

  it('Evaluate Search Quality declines on a workspace with too few documented functions, and says why', async () => {
    const r = (await vscode.commands.executeCommand('kindred.evaluateWorkspace')) as { refused?: string; message?: string };
    assert.equal(r?.refused, 'eval-too-few-pairs', JSON.stringify(r));
    assert.match(r.message!, /^Only \d+ documented functions? .*at least 30 are needed/);
  });

  it('Adapt Search to This Workspace runs in the engine and shows a report; the fixture has too few pairs, and the report says so', async () => {
    const r = (await vscode.commands.executeCommand('kindred.adapt')) as { text: string; outcomes: { name: string; declined?: { message: string }; report?: unknown }[] } | undefined;
    assert.ok(r, 'the command returns its report');
    assert.equal(r.outcomes.length, 1);
    assert.equal(r.outcomes[0].report, undefined);
    assert.match(r.outcomes[0].declined?.message ?? '', /^Only \d+ training pairs in .*at least 50 needed/);
    assert.match(r.text, /^# Kindred: adapting search to /);
    assert.match(r.text, /\*\*Not adapted\.\*\* Only \d+ training pairs/);
    assert.match(r.text, /Nothing was trained or written; search in .* is as it was \(no adapter\)\./);
    // The report is a document of its own, shown in the editor area.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'kindred-report' && d.uri.path.includes('Search Adapter'));
    assert.equal(doc?.getText(), r.text);
    const labels = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    await waitFor(`a tab showing the adapter report (tabs: ${labels().join(', ')})`, () => labels().some((l) => l.includes('Kindred Search Adapter')), 15_000);
    // Nothing is on, so turning it off says so and changes nothing; status has no adapter.
    assert.equal(await vscode.commands.executeCommand('kindred.turnOffAdapter'), undefined);
    const s = await api.ctx.client.request('status', {});
    assert.equal(s.folders[0].adapter, undefined);
  });

  it('Show Index Status is a Markdown report: files, chunks, model and precision, size, the indexes on disk', async () => {
    const text = (await vscode.commands.executeCommand('kindred.showStatus')) as string;
    const s = await api.ctx.client.request('status', {});
    const f = s.folders[0];
    assert.match(text, /^# Kindred: index status/);
    assert.match(text, new RegExp(`\\*\\*Index:\\*\\* ${f.files} files, ${f.chunks} chunks, ${f.embedded} \\(100%\\) embedded, [\\d.]+ (KB|MB) on disk`), text);
    assert.match(text, /\*\*Model:\*\* Xenova\/all-MiniLM-L6-v2, int8 \(q8\), 384 dimensions/);
    assert.match(text, /`Xenova_all-MiniLM-L6-v2\.q8`: Xenova\/all-MiniLM-L6-v2 \(q8, 384 dims\), [\d.]+ (KB|MB) — \*\*in use\*\*/);
    assert.match(text, /\*\*Last update:\*\* /);
    // The report is a document of its own, shown rendered in the editor area (the Markdown preview reads it).
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'kindred-report' && d.uri.path.includes('Index Status'));
    assert.equal(doc?.getText(), text);
    const labels = (): string[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
    await waitFor(`a tab showing the report (tabs: ${labels().join(', ')})`, () => labels().some((l) => l.includes('Kindred Index Status')), 15_000);
  });

  it('a nonsense query has no good match: keyword hits, no relevance bar; a real query has a bar', async () => {
    const none = await api.ctx.client.request('answer', { query: 'purple elephant dancing on the moon', k: 10 });
    assert.equal(none.match, 'none');
    assert.ok(none.hits.every((h) => h.relevance === undefined));
    const good = await api.ctx.client.request('answer', { query: 'read the contents of a file from disk', k: 10 });
    assert.equal(good.match, 'good');
    assert.equal(good.hits[0].symbol, 'readTextFile');
    assert.ok(good.hits[0].relevance! > 0 && good.hits[0].relevance! <= 1);
    assert.equal(good.partial, undefined, 'the index is complete');
    const noTests = await api.ctx.client.request('answer', { query: 'sort an array', k: 10, filter: { path: 'src/legacy' } });
    assert.ok(noTests.hits.length > 0 && noTests.hits.every((h) => h.path.startsWith('src/legacy/')), JSON.stringify(noTests.hits.map((h) => h.path)));
  });

  it('regression: Esc after moving through results from the Output panel restores no log editor (and closes the preview it opened)', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    api.ctx.output.show(false); // focus goes to the Output panel: its document is the active text editor
    await waitFor('the Output panel to be the active text editor', () => vscode.window.activeTextEditor?.document.uri.scheme === 'output');
    const closed = vscode.commands.executeCommand('kindred.search', 'read the contents of a file from disk');
    await waitFor('the preview of the first result', () => activeRel() === 'src/fileUtils.ts');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await closed; // resolves once the picker has put the editors back
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => (t.input instanceof vscode.TabInputText ? t.input.uri.toString() : t.label));
    assert.ok(!tabs.some((t) => t.startsWith('output:')), `an Output channel opened as an editor: ${tabs.join(', ')}`);
    assert.ok(!tabs.some((t) => t.endsWith('src/fileUtils.ts')), `the previewed result stayed open: ${tabs.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('Reindex ends with a message saying what was indexed', async () => {
    const message = (await vscode.commands.executeCommand('kindred.reindex')) as string;
    const s = await api.ctx.client.request('status', {});
    assert.match(message, new RegExp(`^Kindred: reindexed ${path.basename(root())} in \\d+ s: ${s.folders[0].files} files, ${s.folders[0].chunks} chunks\\.$`));
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
