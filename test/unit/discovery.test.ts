import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chmodSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { discoverFiles, IgnoreMatcher } from '../../src/core/discovery';
import { decodeLines, decodeText, readTextFile } from '../../src/core/text';
import { makeTree, removeTree } from '../helpers/fixtures';

test('discovery honours nested .gitignore files, negations and default excludes', async () => {
  const root = makeTree({
    '.gitignore': 'build/\n*.log\n',
    'src/a.ts': 'export const a = 1;\n',
    'src/debug.log': 'noise\n',
    'build/out.js': 'x\n',
    'node_modules/dep/index.js': 'module.exports = 1;\n',
    'pkg/.gitignore': 'generated/\n!keep.log\n',
    'pkg/generated/g.ts': 'export {}\n',
    'pkg/keep.log': 'kept by negation\n',
    'pkg/main.py': 'print(1)\n',
    '.git/config': '[core]\n',
    'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
    'uv.lock': 'version = 1\n',
    'app/Package.resolved': '{}\n',
    'docs/_static/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1v1z"/></svg>\n',
  });
  try {
    const { files, skipped } = await discoverFiles(root, { maxFileBytes: 1024 * 1024 });
    const rels = files.map((f) => f.rel).sort();
    assert.deepEqual(rels, ['.gitignore', 'pkg/.gitignore', 'pkg/keep.log', 'pkg/main.py', 'src/a.ts']);
    assert.ok(skipped.some((s) => s.rel === 'image.png' && s.reason === 'binary'));
  } finally {
    removeTree(root);
  }
});

test('discovery applies extra exclude globs and the size limit, and records why', async () => {
  const root = makeTree({ 'a.txt': 'small\n', 'big.txt': 'x'.repeat(5000), 'docs/skip.md': '# hi\n' });
  try {
    const { files, skipped } = await discoverFiles(root, { maxFileBytes: 1000, exclude: ['docs/'] });
    assert.deepEqual(files.map((f) => f.rel), ['a.txt']);
    assert.match(skipped.find((s) => s.rel === 'big.txt')!.reason, /too large/);
  } finally {
    removeTree(root);
  }
});

test('discovery survives symlink loops and unreadable directories', async () => {
  const root = makeTree({ 'a/b.txt': 'hello\n', 'locked/secret.txt': 'x\n' });
  try {
    symlinkSync(root, path.join(root, 'a', 'loop'));
    symlinkSync(path.join(root, 'missing'), path.join(root, 'dangling'));
    chmodSync(path.join(root, 'locked'), 0o000);
    const { files, skipped } = await discoverFiles(root, { maxFileBytes: 1e6 });
    assert.ok(files.some((f) => f.rel === 'a/b.txt'));
    assert.ok(skipped.some((s) => s.rel === 'a/loop' && /symlink/.test(s.reason)));
    assert.ok(skipped.some((s) => s.rel === 'dangling'));
    // root can read a 000 directory; anyone else gets a recorded skip. Either way nothing throws.
    if (process.getuid?.() !== 0) assert.ok(skipped.some((s) => s.rel === 'locked'));
  } finally {
    chmodSync(path.join(root, 'locked'), 0o755);
    removeTree(root);
  }
});

test('text decoding: UTF-8 with BOM, UTF-16 with BOM, NUL bytes, invalid UTF-8', () => {
  assert.equal(decodeText(Buffer.from('\ufeffhello', 'utf8')), 'hello');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo', 'utf16le')]);
  assert.equal(decodeText(le), 'héllo');
  const be = Buffer.from([0xfe, 0xff, 0x00, 0x68, 0x00, 0x69]);
  assert.equal(decodeText(be), 'hi');
  assert.equal(decodeText(Buffer.from([0x61, 0x00, 0x62])), undefined);
  assert.equal(decodeText(Buffer.from(Array.from({ length: 400 }, (_, i) => 0x80 + (i % 60)))), undefined);
  assert.equal(decodeText(Buffer.from('caf\xe9 ok', 'latin1')), 'caf\ufffd ok');
});

test('decodeLines gives the same lines as decoding the whole file and splitting it, for every range', () => {
  const texts = ['', 'one', 'one\n', 'a\nb\nc', 'a\r\nb\r\n\r\nc\r\n', 'x\ry\nz\r', '\n\n', 'é\n日本\r\n🙂 end', '\ufeffbom\nline two\n'];
  const encodings: [string, (t: string) => Buffer][] = [
    ['utf8', (t) => Buffer.from(t, 'utf8')],
    ['utf16le', (t) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t.replace(/^\ufeff/, ''), 'utf16le')])],
  ];
  for (const text of texts) {
    for (const [name, encode] of encodings) {
      const buf = encode(text);
      const whole = (decodeText(buf) ?? '').split(/\r?\n/);
      for (let start = 1; start <= whole.length + 1; start++) {
        for (let end = start - 1; end <= whole.length + 2; end++) {
          assert.deepEqual(decodeLines(buf, start, end), whole.slice(start - 1, end), `${name} ${JSON.stringify(text)} lines ${start}-${end}`);
        }
      }
    }
  }
  assert.equal(decodeLines(Buffer.from([0x61, 0x00, 0x62]), 1, 1), undefined);
});

test('readTextFile says why a file is skipped instead of throwing', async () => {
  const root = makeTree({ 'empty.txt': '', 'bin.dat': Buffer.from([1, 2, 0, 3]), 'big.txt': 'y'.repeat(100) });
  try {
    assert.deepEqual(await readTextFile(path.join(root, 'empty.txt'), 1000), { ok: false, reason: 'empty' });
    assert.equal((await readTextFile(path.join(root, 'bin.dat'), 1000) as { reason: string }).reason, 'binary');
    assert.equal((await readTextFile(path.join(root, 'big.txt'), 10) as { reason: string }).reason, 'too-large');
    assert.equal((await readTextFile(path.join(root, 'nope.txt'), 10) as { reason: string }).reason, 'unreadable');
  } finally {
    removeTree(root);
  }
});

test('the watcher\'s IgnoreMatcher gives the same answers as discovery, nested .gitignore files included', async () => {
  const root = makeTree({
    '.gitignore': 'build/\n',
    'pkg/.gitignore': 'generated/\n*.tmp\n',
    'pkg/sub/a.ts': 'x\n',
    'pkg/generated/g.ts': 'x\n',
    'pkg/b.tmp': 'x\n',
    'build/out.js': 'x\n',
    'node_modules/d/i.js': 'x\n',
    'src/c.ts': 'x\n',
  });
  try {
    const m = new IgnoreMatcher(root, {});
    const { files } = await discoverFiles(root, { maxFileBytes: 1e6 });
    const found = new Set(files.map((f) => f.rel));
    for (const rel of ['pkg/sub/a.ts', 'pkg/generated/g.ts', 'pkg/b.tmp', 'build/out.js', 'node_modules/d/i.js', 'src/c.ts', 'pkg/.gitignore']) {
      assert.equal(m.ignores(rel, false), !found.has(rel), rel);
    }
    assert.equal(m.ignores('pkg', true), false);
    assert.equal(m.ignores('pkg/generated', true), true);
  } finally {
    removeTree(root);
  }
});
