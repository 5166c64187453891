/**
 * `kindred mcp` as a coding agent meets it: the bundled CLI started as a subprocess and driven over
 * stdio by the official MCP SDK client (real model, fixture workspace copied to a temp folder).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { IndexLock } from '../../src/core/index/store';
import { SERVER_INSTRUCTIONS } from '../../src/mcp/instructions';
import type { Hit } from '../../src/mcp/tools';
import { CLI, runCli } from '../helpers/cli';
import { removeTree, repoRoot, copyWorkspaceFixture } from '../helpers/fixtures';

async function rejectsWithCode(p: Promise<unknown>, code?: number): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof McpError, `expected a JSON-RPC error, got ${String(e)}`);
    if (code === undefined) assert.ok(Number.isInteger(e.code) && e.code < 0, `a JSON-RPC error code: ${e.code}`);
    else assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail('the call should have been answered with a JSON-RPC error');
}

test('kindred mcp: SDK client over stdio: tools, search, find_similar, index_status, context, errors', async () => {
  const { tmp, folder, indexDir } = copyWorkspaceFixture('kindred-mcp-');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', folder, '--index-dir', indexDir, '--threads', '1'],
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'kindred-test', version: '1.0.0' });
  // Anything on stdout that is not a JSON-RPC message surfaces here (the SDK's reader rejects it).
  const protocolErrors: Error[] = [];
  client.onerror = (e) => protocolErrors.push(e);
  try {
    await client.connect(transport);
    assert.equal(client.getServerVersion()?.name, 'kindred');
    assert.match(client.getInstructions() ?? '', /grep/, 'the instructions say when to use it rather than grep');

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    for (const n of ['context', 'find_similar', 'index_status', 'search']) assert.ok(names.includes(n), `tool ${n} listed (got ${names.join(', ')})`);
    for (const t of tools) {
      assert.ok((t.description ?? '').length > 60, `${t.name} has a description for the model`);
      assert.equal(t.inputSchema.type, 'object');
      assert.equal(t.annotations?.readOnlyHint, true);
    }
    assert.deepEqual(tools.find((t) => t.name === 'search')!.inputSchema.required, ['query']);

    // search: the answering function of the fixture (the index is built on the first call).
    const search = await client.callTool({ name: 'search', arguments: { query: 'where is the retry policy for uploads decided?', k: 5 } });
    assert.ok(!search.isError, JSON.stringify(search.content));
    const found = (search.structuredContent as { results: Hit[]; stale: boolean }).results;
    assert.ok(
      found.slice(0, 3).some((h) => h.path === 'src/upload.py' && h.symbol === 'upload_with_retry'),
      `upload_with_retry in the top 3: ${found.map((h) => `${h.path} ${h.symbol}`).join('; ')}`,
    );
    const top = found.find((h) => h.symbol === 'upload_with_retry')!;
    assert.match(top.snippet, /def upload_with_retry/);
    assert.match((search.content as { text: string }[])[0].text, /src\/upload\.py:\d+-\d+ upload_with_retry/);

    // one result per file
    const grouped = await client.callTool({ name: 'search', arguments: { query: 'retry uploads', group: 'files', k: 4 } });
    const files = (grouped.structuredContent as { results: Hit[] }).results.map((h) => h.path);
    assert.ok(files.length > 1 && new Set(files).size === files.length, `one result per file: ${files.join(', ')}`);

    // path filter
    const scoped = await client.callTool({ name: 'search', arguments: { query: 'retry uploads', path: 'docs' } });
    const scopedHits = (scoped.structuredContent as { results: Hit[] }).results;
    assert.ok(scopedHits.length > 0 && scopedHits.every((h) => h.path.startsWith('docs/')), JSON.stringify(scopedHits));

    // find_similar: the near-duplicate quicksort, not the source range itself.
    const similar = await client.callTool({ name: 'find_similar', arguments: { path: 'src/sorting.c', startLine: 10, endLine: 25, k: 5 } });
    assert.ok(!similar.isError, JSON.stringify(similar.content));
    const sims = (similar.structuredContent as { results: Hit[] }).results;
    assert.equal(sims[0]?.path, 'src/legacy/sort_copy.c', sims.map((h) => h.path).join(', '));
    assert.ok(!sims.some((h) => h.path === 'src/sorting.c' && h.startLine <= 25 && h.endLine >= 10), 'the source range is excluded');

    // context: packed code under the budget, headed path:start-end (symbol).
    const ctx = await client.callTool({ name: 'context', arguments: { question: 'how are failed uploads retried?', budget: 400 } });
    const ctxText = (ctx.content as { text: string }[])[0].text;
    assert.match(ctxText, /^src\/upload\.py:\d+-\d+ \(upload_with_retry\)$/m);
    assert.match(ctxText, /delay \*= 2/);

    const clusters = await client.callTool({ name: 'clusters', arguments: {} });
    assert.ok(!clusters.isError, JSON.stringify(clusters.content));
    assert.match((clusters.content as { text: string }[])[0].text, /clusters of \d+ files/);

    // A failure while running is a tool result the model can read, not a protocol error.
    const missing = await client.callTool({ name: 'find_similar', arguments: { path: 'src/nope.py', startLine: 1, endLine: 2 } });
    assert.equal(missing.isError, true);
    assert.match((missing.content as { text: string }[])[0].text, /nope\.py/);

    // Malformed calls: JSON-RPC errors, and the server keeps serving.
    // (a request without a tool name fails the SDK's own request schema: it answers -32603 with the reason)
    const noName = await rejectsWithCode(client.request({ method: 'tools/call', params: { arguments: {} } } as never, CallToolResultSchema));
    assert.match(noName.message, /name/);
    await rejectsWithCode(client.callTool({ name: 'no_such_tool', arguments: {} }), ErrorCode.InvalidParams);
    const bad = await rejectsWithCode(client.callTool({ name: 'search', arguments: { query: 42, k: 0 } }), ErrorCode.InvalidParams);
    assert.match(bad.message, /query/);
    await rejectsWithCode(client.request({ method: 'kindred/nothing', params: {} } as never, CallToolResultSchema), ErrorCode.MethodNotFound);

    const status = await client.callTool({ name: 'index_status', arguments: {} });
    const s = status.structuredContent as { files: number; chunks: number; embedded: number; embeddedShare: number; model: string; stale: boolean; updating: boolean; lastUpdate: string | null };
    await client.close();

    // The counts are the index's: the CLI reads the same index from disk.
    const cli = await runCli(['stats', folder, '--index-dir', indexDir, '--no-update', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const stats = JSON.parse(cli.stdout) as { files: number; chunks: number; vectors: number; model: string };
    assert.ok(stats.files > 5 && stats.chunks > stats.files);
    assert.deepEqual(
      { files: s.files, chunks: s.chunks, embedded: s.embedded, share: s.embeddedShare, model: s.model },
      { files: stats.files, chunks: stats.chunks, embedded: stats.vectors, share: 1, model: stats.model },
    );
    // Fully embedded and writable: stale only while a refresh (started by a call) is still running.
    assert.equal(s.stale, s.updating);
    assert.ok(s.lastUpdate && !Number.isNaN(Date.parse(s.lastUpdate)));
    assert.deepEqual(protocolErrors, [], `only JSON-RPC on stdout (stderr: ${stderr})`);
    assert.match(stderr, /kindred mcp: serving/, 'logs go to stderr');
  } finally {
    await client.close().catch(() => undefined);
    removeTree(tmp);
  }
});

test('kindred mcp: while another process holds the write lock, answers from the index on disk and says so', async () => {
  const { tmp, folder, indexDir } = copyWorkspaceFixture('kindred-mcp-lock-');
  // An identical copy of the answering file: its function is one result that lists the copy.
  writeFileSync(path.join(folder, 'src/upload_copy.py'), readFileSync(path.join(folder, 'src/upload.py')));
  const built = await runCli(['index', folder, '--index-dir', indexDir, '--threads', '1', '--json']);
  assert.equal(built.code, 0, built.stderr);
  // This test process plays the other writer (the extension's engine, a `kindred index`): it holds the lock
  // of the model's index (one directory per model and precision inside the folder's index dir).
  const modelDir = readdirSync(indexDir).map((n) => path.join(indexDir, n)).find((d) => existsSync(path.join(d, 'index.db')));
  assert.ok(modelDir, `no model index under ${indexDir}`);
  const lock = await IndexLock.acquire(modelDir);
  const client = new Client({ name: 'kindred-test', version: '1.0.0' });
  try {
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', folder, '--index-dir', indexDir, '--threads', '1'], stderr: 'ignore' }));
    const search = await client.callTool({ name: 'search', arguments: { query: 'upload a payload and retry with exponential backoff', k: 3 } });
    const { results } = search.structuredContent as { results: Hit[] };
    assert.ok(results.some((h) => h.symbol === 'upload_with_retry'), JSON.stringify(results));
    const upload = results.filter((h) => h.symbol === 'upload_with_retry');
    assert.equal(upload.length, 1, JSON.stringify(results));
    const copy = upload[0].path === 'src/upload.py' ? 'src/upload_copy.py' : 'src/upload.py';
    assert.deepEqual(upload[0].duplicates, [{ path: copy, startLine: upload[0].startLine, endLine: upload[0].endLine }]);
    assert.match((search.content as { text: string }[])[0].text, new RegExp(`\\(identical in ${copy.replace('.', '\\.')}:${upload[0].startLine}-${upload[0].endLine}\\)`));
    const status = (await client.callTool({ name: 'index_status', arguments: {} })).structuredContent as { readOnly: boolean; stale: boolean; note: string | null; chunks: number };
    assert.equal(status.readOnly, true);
    assert.equal(status.stale, true);
    assert.match(status.note ?? '', /index on disk/);
    assert.ok(status.chunks > 0);
  } finally {
    await client.close().catch(() => undefined);
    await lock.release();
    removeTree(tmp);
  }
});

test('kindred mcp: a client that writes its requests and closes stdin gets every answer, and stdout holds only JSON-RPC', async () => {
  const { tmp, folder } = copyWorkspaceFixture('kindred-mcp-pipe-');
  try {
    const rpc = (id: number, method: string, params: unknown): string => `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
    const input =
      rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } }) +
      `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n` +
      'this line is not JSON-RPC\n' +
      rpc(2, 'tools/call', { name: 'search', arguments: { query: 'quicksort of an integer array', k: 2 } }) +
      rpc(3, 'tools/call', { name: 'index_status', arguments: {} });
    const r = spawnSync(process.execPath, [CLI, 'mcp', folder, '--index-dir', path.join(tmp, 'index'), '--threads', '1'], { input, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    // Answers may come in any order (JSON-RPC matches them by id).
    const messages = lines
      .map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result?: { structuredContent?: { results?: Hit[]; chunks?: number } } })
      .sort((a, b) => a.id - b.id);
    assert.ok(messages.every((m) => m.jsonrpc === '2.0'));
    assert.deepEqual(messages.map((m) => m.id), [1, 2, 3]);
    assert.ok(messages[1].result?.structuredContent?.results?.some((h) => /sort/.test(h.path)));
    assert.ok((messages[2].result?.structuredContent?.chunks ?? 0) > 0);
    assert.match(r.stderr, /kindred mcp:/, 'the bad line is reported on stderr');
  } finally {
    removeTree(tmp);
  }
});

test('the README quotes the server instructions word for word', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### When agents should use it'));
  const quoted = section
    .split('\n')
    .filter((l) => l.startsWith('>'))
    .map((l) => l.replace(/^> ?/, ''))
    .join('\n');
  assert.equal(quoted.trim(), SERVER_INSTRUCTIONS.trim());
});
