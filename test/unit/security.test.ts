import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { confine } from '../../src/shared/paths';
import { parseFromWebview } from '../../src/shared/webviewProtocol';
import { CLI } from '../helpers/cli';
import { removeTree, repoRoot, copyWorkspaceFixture } from '../helpers/fixtures';

// (a) Paths from the webview (or any hit) are confined to their workspace folder.
// (b) No outbound network: indexing and searching make no internet connection (checked at the
//     system-call level with strace, not by patching Node).

test('confine: paths inside the folder resolve; everything that could leave it is refused (POSIX)', () => {
  const root = '/home/u/project';
  const inside: [string, string][] = [
    ['src/a.ts', '/home/u/project/src/a.ts'],
    ['./src/a.ts', '/home/u/project/src/a.ts'],
    ['src//a.ts', '/home/u/project/src/a.ts'],
    ['src/./lib/a.ts', '/home/u/project/src/lib/a.ts'],
    ['..foo/bar.ts', '/home/u/project/..foo/bar.ts'], // a name starting with two dots is not a parent
    ['src/..hidden', '/home/u/project/src/..hidden'],
    ['src/données/naïve 文件.ts', '/home/u/project/src/données/naïve 文件.ts'],
    ['a.ts', '/home/u/project/a.ts'],
  ];
  for (const [rel, abs] of inside) assert.equal(confine(root, rel, path.posix), abs, rel);
  assert.equal(confine('/home/u/project/', 'a.ts', path.posix), '/home/u/project/a.ts', 'trailing separator on the root');

  const outside = [
    '../secret',
    '../../etc/passwd',
    'src/../../etc/passwd',
    'src/../a.ts', // even when it would land inside: no `..` at all
    '..',
    '.',
    '',
    '/etc/passwd',
    '//etc/passwd',
    '\\etc\\passwd',
    '..\\..\\etc\\passwd',
    'src\\..\\..\\secret',
    'C:\\Windows\\win.ini',
    'c:/Windows/win.ini',
    'C:relative.txt',
    '\\\\server\\share\\file',
    'src/a.ts\0.png',
    'x'.repeat(5000),
  ];
  for (const rel of outside) assert.equal(confine(root, rel, path.posix), undefined, JSON.stringify(rel));
  for (const bad of [undefined, null, 42, {}, ['a.ts']]) assert.equal(confine(root, bad, path.posix), undefined, JSON.stringify(bad));
});

test('confine: Windows roots and separators (path.win32)', () => {
  const root = 'C:\\Users\\u\\project';
  assert.equal(confine(root, 'src/a.ts', path.win32), 'C:\\Users\\u\\project\\src\\a.ts');
  assert.equal(confine(root, 'src\\a.ts', path.win32), 'C:\\Users\\u\\project\\src\\a.ts');
  assert.equal(confine('c:\\users\\U\\Project\\', 'a.ts', path.win32), 'c:\\users\\U\\Project\\a.ts');
  for (const rel of ['..\\secret', '../secret', 'src\\..\\..\\secret', 'D:\\other\\a.ts', 'C:\\Users\\u\\project\\a.ts', 'C:a.ts', '\\\\server\\share\\a.ts', '\\a.ts', '/a.ts', '..']) {
    assert.equal(confine(root, rel, path.win32), undefined, JSON.stringify(rel));
  }
});

test('confine: symlink-free normalization: a link inside the folder is not followed or resolved', () => {
  // Pure path logic: `link/x` stays under the root textually even if `link` points elsewhere; the
  // index never contains such paths because discovery does not follow symlinked folders.
  assert.equal(confine('/w', 'link/x.ts', path.posix), '/w/link/x.ts');
  assert.equal(confine('/w/../w2', 'a.ts', path.posix), '/w2/a.ts', 'the root itself is normalized');
});

test('every location the webview sends is validated and then confined before a file is opened', () => {
  const root = path.resolve('/ws');
  const attempts = ['../../etc/passwd', '/etc/passwd', '..\\..\\x', 'C:\\x', 'ok/../../x', 'src/a.ts'];
  const opened: string[] = [];
  for (const p of attempts) {
    for (const type of ['open', 'findSimilar'] as const) {
      const msg = parseFromWebview({ type, location: { folder: 0, path: p, startLine: 1, endLine: 2 } });
      if (!msg || !('location' in msg) || !msg.location) continue;
      const abs = confine(root, msg.location.path);
      if (abs) opened.push(path.relative(root, abs));
    }
  }
  assert.deepEqual([...new Set(opened)], [path.join('src', 'a.ts')]);
  // Cluster scopes are directory paths from the webview: `..` is refused at parsing.
  assert.equal(parseFromWebview({ type: 'clusters', requestId: 1, folder: 0, method: 'kmeans', k: 'auto', scope: '../..' }), undefined);
  // The extension opens files only through Ctx.locate (which confines): no other code turns a path into a file URI.
  const extensionDir = path.join(repoRoot, 'src', 'extension');
  for (const f of readdirSync(extensionDir)) {
    const text = readFileSync(path.join(extensionDir, f), 'utf8');
    const uses = text.match(/Uri\.file\(/g)?.length ?? 0;
    assert.equal(uses, f === 'context.ts' ? 1 : 0, `${f} builds file URIs itself`);
  }
  assert.match(readFileSync(path.join(extensionDir, 'context.ts'), 'utf8'), /const abs = confine\(folder\.path, loc\.path\);\s+return abs === undefined \? undefined : vscode\.Uri\.file\(abs\);/);
});

// --- no network ---------------------------------------------------------------------------------

const STRACE = spawnSync('strace', ['-V']).status === 0;
let tmp: string;
let folder: string;

before(() => {
  ({ tmp, folder } = copyWorkspaceFixture('kindred-net-'));
});

after(() => removeTree(tmp));

/** Runs a command under strace and returns the internet sockets and connections it attempted. */
function internetAttempts(argv: string[], label: string, input?: string): { status: number | null; attempts: string[]; stderr: string; stdout: string } {
  const log = path.join(tmp, `strace-${label}.txt`);
  // Every thread and child (-f); socket() and connect() of every family are logged, then filtered.
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=socket,connect,sendto,sendmsg', '-o', log, ...argv], { encoding: 'utf8', timeout: 120_000, input });
  const lines = readFileSync(log, 'utf8').split('\n');
  const attempts = lines.filter((l) => /\b(socket|connect|sendto|sendmsg)\(/.test(l) && /AF_INET6?\b|PF_INET6?\b|sin6?_addr|inet_addr|inet_pton/.test(l));
  return { status: r.status, attempts, stderr: r.stderr, stdout: r.stdout };
}

test('the no-network check itself catches a connection attempt (control)', (t) => {
  if (!STRACE) {
    t.skip('strace is not installed (apt-get install -y strace)');
    return;
  }
  const r = internetAttempts([process.execPath, '-e', "require('net').connect(9, '127.0.0.1').on('error', () => {})"], 'control');
  assert.ok(r.attempts.some((l) => /connect\(.*AF_INET/.test(l)), JSON.stringify(r.attempts));
  const dns = internetAttempts([process.execPath, '-e', "require('dns').lookup('example.invalid', () => {})"], 'control-dns');
  // A name lookup (the first step of any download) opens a UDP socket to the resolver: caught too.
  assert.equal(dns.status, 0);
  assert.ok(dns.attempts.some((l) => /socket\(AF_INET/.test(l)), JSON.stringify(dns.attempts));
});

test('indexing, searching, find-similar and stats open no internet socket (CLI under strace)', { timeout: 180_000 }, (t) => {
  if (!STRACE) {
    t.skip('strace is not installed (apt-get install -y strace)');
    return;
  }
  const indexDir = path.join(tmp, 'index');
  // An MCP session: initialize, then a search and a context call; the server exits when stdin ends.
  const rpc = (id: number, method: string, params: unknown): string => `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
  const mcpSession =
    rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'strace', version: '1' } }) +
    `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n` +
    rpc(2, 'tools/call', { name: 'search', arguments: { query: 'retry uploads' } }) +
    rpc(3, 'tools/call', { name: 'context', arguments: { question: 'how are uploads retried?' } });
  const runs: [string, string[], string?][] = [
    ['index', ['index', folder, '--index-dir', indexDir, '--json', '--threads', '1']],
    ['search', ['search', folder, 'read the contents of a file', '--index-dir', indexDir, '--json', '--threads', '1']],
    ['similar', ['similar', folder, 'src/sorting.c:10-26', '--index-dir', indexDir, '--json', '--threads', '1']],
    ['stats', ['stats', folder, '--index-dir', indexDir, '--json']],
    ['context', ['context', folder, 'how are uploads retried', '--index-dir', indexDir, '--json', '--threads', '1']],
    ['mcp', ['mcp', folder, '--index-dir', indexDir, '--threads', '1'], mcpSession],
    // No model: the code path that would be tempted to fetch one.
    ['search-no-model', ['search', folder, 'quicksort', '--index-dir', path.join(tmp, 'index2'), '--models-dir', path.join(tmp, 'none'), '--json']],
  ];
  for (const [label, args, input] of runs) {
    const r = internetAttempts([process.execPath, CLI, ...args], label, input);
    assert.equal(r.status, 0, `${label}: ${r.stderr}`);
    assert.deepEqual(r.attempts, [], `${label} attempted network access`);
    // The MCP calls were answered (not cut short by stdin closing).
    if (label === 'mcp') assert.match(r.stdout, /"id":3\b/, r.stdout.slice(0, 500));
  }
});

test('the extension engine service (watcher, indexing, search) opens no internet socket (under strace)', { timeout: 120_000 }, (t) => {
  if (!STRACE) {
    t.skip('strace is not installed (apt-get install -y strace)');
    return;
  }
  const script = `
    const { EngineService } = require(${JSON.stringify(path.join(repoRoot, 'out/src/worker/engineService.js'))});
    (async () => {
      const s = new EngineService(() => {});
      const st = await s.handle('configure', { folders: [{ path: ${JSON.stringify(folder)}, name: 'ws' }], modelId: 'Xenova/all-MiniLM-L6-v2', allowDownload: false, dtype: 'q8', threads: 1, exclude: ['node_modules/'], maxFileBytes: 1048576, indexOnStartup: true, indexRoot: ${JSON.stringify(path.join(tmp, 'svc'))} });
      if (st.state === 'error') throw new Error(JSON.stringify(st.error));
      await s.handle('flush', {});
      const hits = await s.handle('search', { query: 'check whether a number is prime', k: 3 });
      if (!hits.length) throw new Error('no hits');
      await s.dispose();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = internetAttempts([process.execPath, '-e', script], 'service');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.attempts, []);
});
