import { fileHashOf } from '../../src/core/indexer';
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { ModelRuntime } from '../../src/core/embedding/runtime';
import { Engine } from '../../src/core/engine';
import { updateIndex } from '../../src/core/indexer';
import { IndexStore } from '../../src/core/index/store';
import type { Logger } from '../../src/core/log';
import { defaultModelsDir } from '../../src/core/paths';
import { readTextFile } from '../../src/core/text';
import { approximateTokens } from '../../src/core/embedding/approximate';
import { CLI, runCli } from '../helpers/cli';
import { makeTree, removeTree } from '../helpers/fixtures';

// Bad input: every odd file is either indexed correctly or skipped with its reason in the log, and
// nothing crashes. The real model, one thread.

let runtime: ModelRuntime;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-badinput-'));
  runtime = await ModelRuntime.start({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 1);
});

after(async () => {
  await runtime?.close();
  removeTree(tmp);
});

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) };
}

function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (endian === 'le') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
}

const DEEP = `deep/${Array.from({ length: 200 }, (_, i) => `level${i}`).join('/')}`;
const UNICODE = 'src/données/naïve 文件.ts';

test('odd files are indexed correctly or skipped with a logged reason; nothing crashes', { timeout: 120_000 }, async () => {
  const minified = Array.from({ length: 1500 }, (_, i) => (i === 750 ? 'var uniqueMinifiedMarker=function(q){return q};' : `var a${i}=function(b){return b*${i}+${i % 13}};`)).join('');
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + ((i * 31) % 0x40))); // continuation bytes only: invalid UTF-8, no NUL
  const folder = makeTree({
    'src/ok.ts': 'export function normalBaseline(): number {\n  return 42;\n}\n',
    'assets/blob.dat': random,
    'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    'dist/app.js': minified,
    'vendor/lib.min.js': minified,
    'latin1.txt': Buffer.concat([Buffer.from('latin1FunctionName: caf'), Buffer.from([0xe9]), Buffer.from(' au lait, cr'), Buffer.from([0xe8]), Buffer.from('me br'), Buffer.from([0xfb]), Buffer.from('l\u00e9e\n')]),
    'garbage.txt': garbage,
    'utf16le.ts': utf16('// little endian\nexport function utf16LittleEndianMarker(): string {\n  return "naïve café";\n}\n', 'le'),
    'utf16be.ts': utf16('// big endian\nexport function utf16BigEndianMarker(): string {\n  return "crème brûlée";\n}\n', 'be'),
    'nul.ts': Buffer.concat([Buffer.from('export const nulByteInside = 1;\n'), Buffer.from([0]), Buffer.from('more\n')]),
    'empty.ts': '',
    'blank.ts': '\n\n   \n\t\n',
    'crlf.ts': 'export function windowsLineEndings(): void {\r\n  console.log("crlf");\r\n}\r\n',
    [`${DEEP}/leaf.ts`]: 'export function deepestLeafFunction(): string {\n  return "two hundred levels down";\n}\n',
    [UNICODE]: 'export function naiveUnicodePathFunction(): string {\n  return "données";\n}\n',
    'src/line\nbreak.ts': 'export const newlineInFileName = true;\n',
    'src/back\\slash.ts': 'export const backslashInFileName = true;\n',
    'src/vanishing.ts': 'export const vanishesAfterDiscovery = true;\n',
    'src/shifting.ts': 'export const beforeTheChange = 1;\n',
  });
  // 50 MB: over the size limit, skipped by its size without being read.
  mkdirSync(path.join(folder, 'big'));
  writeFileSync(path.join(folder, 'big/huge.ts'), Buffer.alloc(50 * 1024 * 1024, 'export const x = 1;\n'));
  // Symlink loops: to the root, to a parent, to itself; and one to nowhere.
  symlinkSync(folder, path.join(folder, 'loop'));
  symlinkSync('..', path.join(folder, 'src', 'parent'));
  symlinkSync('self', path.join(folder, 'self'));
  symlinkSync(path.join(folder, 'missing'), path.join(folder, 'dangling'));

  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const rel of ['assets/blob.dat', 'garbage.txt', 'nul.ts', 'empty.ts', 'blank.ts']) utimesSync(path.join(folder, rel), anHourAgo, anHourAgo);
  const log = recorder();
  const indexDir = path.join(tmp, 'index-odd');
  const engine = await Engine.open({ folder, indexDir, logger: log }, runtime);
  try {
    let hooked = false;
    const started = performance.now();
    const s = await engine.update({
      onProgress: (p) => {
        // After discovery, before the first file is read: one file disappears, another changes.
        if (p.phase === 'chunking' && !hooked) {
          hooked = true;
          rmSync(path.join(folder, 'src/vanishing.ts'));
          writeFileSync(path.join(folder, 'src/shifting.ts'), 'export const shiftedAfterDiscovery = 2;\n// and it grew\n');
        }
      },
    });
    const seconds = (performance.now() - started) / 1000;
    assert.ok(hooked);
    const indexed = [...engine.index.files.values()].filter((f) => f.chunks.length > 0).map((f) => f.path).sort();
    assert.deepEqual(indexed, [
      DEEP + '/leaf.ts',
      'crlf.ts',
      'dist/app.js',
      'latin1.txt',
      'src/back\\slash.ts',
      UNICODE,
      'src/line\nbreak.ts',
      'src/ok.ts',
      'src/shifting.ts',
      'utf16be.ts',
      'utf16le.ts',
    ].sort());
    const skips: [string, RegExp][] = [
      ['assets/blob.dat', /binary/],
      ['assets/logo.png', /binary/],
      ['big/huge.ts', /too large \(52428800 bytes > 1048576\)/],
      ['garbage.txt', /encoding/],
      ['nul.ts', /binary/],
      ['empty.ts', /empty/],
      ['blank.ts', /empty/],
      ['loop', /symlinked directory \(not followed\)/],
      ['src/parent', /symlinked directory \(not followed\)/],
      ['self', /broken symlink/],
      ['dangling', /broken symlink/],
      ['src/vanishing.ts', /unreadable \(ENOENT\)/],
    ];
    for (const [rel, why] of skips) {
      const line = log.lines.find((l) => l.startsWith(`skipped ${rel}: `));
      assert.ok(line && why.test(line), `${rel}: ${line ?? 'not logged'}`);
    }
    assert.ok(!log.lines.some((l) => l.startsWith('WARN')), JSON.stringify(log.lines.filter((l) => l.startsWith('WARN'))));
    assert.ok(!log.lines.some((l) => l.includes('vendor/lib.min.js')), 'excluded by default, silently');
    assert.equal(engine.index.checkIntegrity(), undefined);
    assert.equal(s.embedded, s.chunks);

    // Searchable, with the right paths and readable previews.
    const find = async (query: string, mode: 'bm25' | 'hybrid' = 'bm25') => (await engine.search(query, { k: 3, mode }))[0];
    assert.equal((await find('utf16LittleEndianMarker'))?.path, 'utf16le.ts');
    assert.equal((await find('utf16LittleEndianMarker'))!.preview, '// little endian', 'decoded, not read as UTF-8');
    assert.equal((await find('utf16BigEndianMarker'))?.path, 'utf16be.ts');
    assert.equal((await find('utf16BigEndianMarker'))!.preview, '// big endian');
    assert.equal((await find('deepestLeafFunction'))?.path, `${DEEP}/leaf.ts`);
    const unicode = await find('naiveUnicodePathFunction');
    assert.equal(unicode?.path, UNICODE);
    assert.match(unicode!.preview, /naiveUnicodePathFunction/);
    assert.equal((await find('latin1FunctionName'))?.path, 'latin1.txt');
    assert.equal((await find('windowsLineEndings'))?.endLine, 3);
    assert.equal((await find('newlineInFileName'))?.path, 'src/line\nbreak.ts');
    assert.equal((await find('shiftedAfterDiscovery'))?.path, 'src/shifting.ts', 'the content read, not the content discovered');
    assert.equal((await find('beforeTheChange'))?.path, undefined);
    const marker = await find('uniqueMinifiedMarker');
    assert.equal(marker?.path, 'dist/app.js');
    const pieces = [...engine.index.chunks.values()].filter((c) => c.path === 'dist/app.js');
    assert.ok(pieces.length > 5 && pieces.every((c) => c.startLine === 1 && c.endLine === 1), `minified pieces: ${pieces.length}`);
    assert.equal((await find('deepest leaf function two hundred levels down', 'hybrid'))?.path, `${DEEP}/leaf.ts`);
    assert.equal((await find('utf16 big endian marker crème brûlée', 'hybrid'))?.path, 'utf16be.ts');

    // Files whose content has nothing to index (empty, binary, not text) are recorded with no chunks.
    const nothing = ['assets/blob.dat', 'garbage.txt', 'nul.ts', 'empty.ts', 'blank.ts'];
    for (const rel of nothing) assert.deepEqual(engine.index.files.get(rel)?.chunks, [], rel);

    // The index recorded what it read (size and mtime of the content it hashed): nothing is left to do, and nothing is read again.
    // (Files written within the file system's time resolution of their read are read again; these were dated back.)
    log.lines.length = 0;
    const again = await engine.update();
    assert.equal(again.embedded, 0);
    assert.equal(again.deleted, 0);
    for (const rel of nothing) assert.ok(!log.lines.some((l) => l.startsWith(`skipped ${rel}:`)), `${rel} read again: ${log.lines.join(' | ')}`);
    const shifted = await readTextFile(path.join(folder, 'src/shifting.ts'), 1 << 20);
    assert.ok(shifted.ok && engine.index.files.get('src/shifting.ts')!.hash === fileHashOf(shifted.text));

    // The CLI prints the odd paths as they are (JSON).
    const cli = await runCli(['search', folder, 'naiveUnicodePathFunction', '--index-dir', indexDir, '--json', '--mode', 'bm25', '--no-update']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { results: { path: string }[] }).results[0].path, UNICODE);
    console.log(JSON.stringify({ badInput: { indexed: indexed.length, skippedLogged: skips.length, chunks: s.chunks, minifiedPieces: pieces.length, seconds: Math.round(seconds * 10) / 10 } }));
  } finally {
    await engine.close();
    removeTree(folder);
  }
});

test('a file rewritten in place while it is being read: no crash, torn reads rare and retried, the index converges', { timeout: 60_000 }, async () => {
  // Every version has the same length and names its version on every line: a torn read mixes two.
  const version = (v: number): string => `line of version ${String(v).padStart(8, '0')} with some padding text\n`.repeat(8000);
  const folder = makeTree({ 'notes/hot.txt': version(0), 'notes/cold.txt': 'stable content\n' });
  const file = path.join(folder, 'notes/hot.txt');
  const writerCode = `
    const fs = require('fs');
    const version = ${version.toString()};
    const fd = fs.openSync(${JSON.stringify(file)}, 'r+');
    for (let v = 1; ; v++) { const b = Buffer.from(version(v)); fs.writeSync(fd, b, 0, b.length, 0); }`;
  const writer = spawn(process.execPath, ['-e', writerCode], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = path.join(tmp, 'index-hot');
  const store = IndexStore.create(dir, folder, { id: 'test/model', dtype: 'fp32', dims: 8 });
  const deps = { countTokens: approximateTokens, chunkTokens: 200, concurrency: 1 };
  const log = recorder();
  const reads = { consistent: 0, torn: 0, changing: 0, other: 0 };
  try {
    await new Promise((r) => setTimeout(r, 200));
    // Reads racing the writer, then whole updates racing it.
    for (const end = performance.now() + 1000; performance.now() < end; ) {
      const r = await readTextFile(file, 1 << 20);
      if (!r.ok) reads[r.reason === 'changing' ? 'changing' : 'other']++;
      else reads[new Set(r.text.match(/version \d{8}/g)).size === 1 ? 'consistent' : 'torn']++;
    }
    let updates = 0;
    for (const end = performance.now() + 1000; performance.now() < end; updates++) {
      await updateIndex(store, folder, deps, { maxFileBytes: 1 << 20, logger: log });
      assert.equal(store.checkIntegrity(), undefined);
    }
    assert.equal(reads.other, 0, JSON.stringify(reads));
    assert.ok(reads.consistent > 0, JSON.stringify(reads));
    assert.ok(reads.torn <= reads.consistent / 10, `torn reads should be rare: ${JSON.stringify(reads)}`);
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
    // Whatever the writer left (even a write cut short by the kill) is what the index must hold now.
    const final = readFileSync(file, 'utf8');
    assert.ok(!final.startsWith(version(0).slice(0, 40)), 'the writer was writing');
    await updateIndex(store, folder, deps, { maxFileBytes: 1 << 20, logger: log });
    assert.equal(store.files.get('notes/hot.txt')?.hash, fileHashOf(final));
    assert.equal(store.files.get('notes/cold.txt')?.hash, fileHashOf('stable content\n'));
    assert.equal(store.checkIntegrity(), undefined);
    // Torn reads are rare but possible (a writer paused mid-write within one mtime tick); the racy
    // mark makes the next update read such a file again, which is what convergence above shows.
    console.log(JSON.stringify({ changedWhileRead: { updates, ...reads, changingLogged: log.lines.filter((l) => l.includes('kept changing')).length } }));
  } finally {
    writer.kill('SIGKILL');
    removeTree(folder);
  }
});

/** Runs a command as the unprivileged user `nobody` (the tests run as root, who can read anything). */
function asNobody(): string[] | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']);
  return probe.status === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI] : undefined;
}

test('permission-denied files and folders are skipped with EACCES in the log (run as nobody), then indexed once readable', { timeout: 60_000 }, async (t) => {
  const command = asNobody();
  if (!command) {
    t.skip('needs root and setpriv to run the CLI as another user');
    return;
  }
  const base = mkdtempSync(path.join(os.tmpdir(), 'kindred-perm-'));
  try {
    chmodSync(base, 0o755);
    // A copy of the model nobody can read (the provisioned one lives under /root).
    const src = path.join(defaultModelsDir(), DEFAULT_MODEL_ID);
    const models = path.join(base, 'models');
    const dst = path.join(models, DEFAULT_MODEL_ID);
    mkdirSync(path.join(dst, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model_quantized.onnx']) copyFileSync(path.join(src, f), path.join(dst, f));
    const folder = path.join(base, 'ws');
    const files: Record<string, string> = {
      'ok.ts': 'export function readableByAnyone(): number {\n  return 1;\n}\n',
      'secret/inside.ts': 'export function hiddenInLockedFolder(): number {\n  return 2;\n}\n',
      'private.ts': 'export function unreadableFile(): number {\n  return 3;\n}\n',
      'listonly/entry.ts': 'export function inListOnlyFolder(): number {\n  return 4;\n}\n',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      writeFileSync(path.join(folder, rel), text);
    }
    spawnSync('chmod', ['-R', 'a+rX', base]);
    chmodSync(path.join(folder, 'secret'), 0o000);
    chmodSync(path.join(folder, 'private.ts'), 0o000);
    chmodSync(path.join(folder, 'listonly'), 0o444); // entries can be listed but not opened
    const indexDir = path.join(base, 'index');
    const home = path.join(base, 'home');
    for (const d of [indexDir, home]) {
      mkdirSync(d);
      chownSync(d, 65534, 65534);
    }
    const env = { HOME: home, KINDRED_CACHE_DIR: path.join(home, 'cache') };
    const args = ['index', folder, '--index-dir', indexDir, '--models-dir', models, '--json', '--verbose', '--threads', '1'];

    const first = await runCli(args, env, command);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^skipped secret: unreadable directory \(EACCES\)$/m);
    assert.match(first.stderr, /^skipped private\.ts: unreadable \(EACCES\)$/m);
    assert.match(first.stderr, /^skipped listonly\/entry\.ts: unreadable \(EACCES\)$/m);
    assert.equal((JSON.parse(first.stdout) as { files: number }).files, 1);
    const search = async (q: string) => {
      const r = await runCli(['search', folder, q, '--index-dir', indexDir, '--models-dir', models, '--json', '--mode', 'bm25', '--no-update'], env, command);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { results: { path: string }[] }).results.map((h) => h.path);
    };
    assert.deepEqual(await search('readableByAnyone'), ['ok.ts']);

    // Readable again: the next run picks them up.
    chmodSync(path.join(folder, 'secret'), 0o755);
    chmodSync(path.join(folder, 'private.ts'), 0o644);
    chmodSync(path.join(folder, 'listonly'), 0o755);
    const second = await runCli(args, env, command);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as { files: number }).files, 4);
    assert.ok((await search('hiddenInLockedFolder')).includes('secret/inside.ts'));
    assert.ok((await search('unreadableFile')).includes('private.ts'));

    // An index folder nobody may write: a plain error for `index`, a warning and the index as it is for `search`.
    const locked = path.join(base, 'root-owned-index');
    mkdirSync(locked);
    const refused = await runCli(['index', folder, '--index-dir', locked, '--models-dir', models, '--threads', '1'], env, command);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^kindred: Cannot write the index in .*root-owned-index(\/[^:]*)?: permission denied\. Make that folder writable, or choose another index location \(--index-dir\)\.$/m);
    assert.ok(!/\n\s+at /.test(refused.stderr), refused.stderr);
    const readOnly = await runCli(['search', folder, 'readableByAnyone', '--index-dir', locked, '--models-dir', models, '--json', '--mode', 'bm25'], env, command);
    assert.equal(readOnly.code, 0, readOnly.stderr);
    assert.match(readOnly.stderr, /warning: Cannot write the index in .*: permission denied\. Searching the index as it is\./);
  } finally {
    spawnSync('chmod', ['-R', 'u+rwX', base]);
    removeTree(base);
  }
});
