/** RAG context packing (src/core/context.ts) on the fixture workspace with the real model. */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { packContext, pathFilter } from '../../src/core/context';
import { Engine } from '../../src/core/engine';
import { runCli } from '../helpers/cli';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

let tmp: string;
let folder: string;
let engine: Engine;

before(async () => {
  ({ tmp, folder } = copyWorkspaceFixture('kindred-context-'));
  // An identical copy of the answering file: its chunks must be packed once.
  writeFileSync(path.join(folder, 'src/upload_copy.py'), readFileSync(path.join(folder, 'src/upload.py')));
  engine = await Engine.open({ folder, indexDir: path.join(tmp, 'index'), threads: 1 });
  await engine.update();
});

after(async () => {
  await engine?.close();
  removeTree(tmp);
});

test('packContext: within the budget by the model tokenizer, merged blocks, identical chunks once, headed path:start-end (symbol)', async () => {
  for (const budget of [120, 400, 4000]) {
    const p = await packContext(engine, 'how are failed uploads retried with backoff?', { budget });
    assert.equal(p.tokenizer, 'model');
    assert.ok(p.tokens <= budget, `${p.tokens} tokens for a budget of ${budget}`);
    assert.equal(p.tokens, engine.runtime!.countTokens(p.text), 'the reported count is the tokenizer count of the text');
    assert.ok(p.blocks.length > 0);
    assert.equal(p.text, p.blocks.map((b) => b.text).join('\n\n'));
    // Blocks of one file neither overlap nor touch (they would have been merged), and are in line order.
    const byFile = new Map<string, typeof p.blocks>();
    for (const b of p.blocks) byFile.set(b.path, [...(byFile.get(b.path) ?? []), b]);
    for (const blocks of byFile.values()) {
      for (let i = 1; i < blocks.length; i++) assert.ok(blocks[i].startLine > blocks[i - 1].endLine + 2, JSON.stringify(blocks.map((b) => [b.startLine, b.endLine])));
    }
    // Files appear as one run each (grouped by file).
    const order = p.blocks.map((b) => b.path).filter((f, i, a) => i === 0 || a[i - 1] !== f);
    assert.equal(new Set(order).size, order.length, `grouped by file: ${order.join(', ')}`);
    for (const b of p.blocks) assert.match(b.text.split('\n')[0], /^\S+:\d+-\d+( \(.+\))?$/);
    // The upload function appears once, though two files hold it.
    const copies = p.blocks.filter((b) => b.text.includes('def upload_with_retry'));
    assert.equal(copies.length, 1, p.blocks.map((b) => b.text.split('\n')[0]).join('; '));
    if (budget >= 400) {
      assert.ok(p.duplicates.some((d) => /upload(_copy)?\.py/.test(d.path)), JSON.stringify(p.duplicates));
      assert.match(copies[0].text.split('\n')[0], /\(upload_with_retry/);
      assert.match(copies[0].text, /delay \*= 2/);
    }
  }
});

test('search: the same function in two files is one hit that lists the other place', async () => {
  const hits = await engine.search('how are failed uploads retried with backoff?', { k: 10 });
  const upload = hits.filter((h) => h.symbol === 'upload_with_retry');
  assert.equal(upload.length, 1, hits.map((h) => `${h.path}:${h.startLine} ${h.symbol ?? ''}`).join('; '));
  const other = upload[0].path === 'src/upload.py' ? 'src/upload_copy.py' : 'src/upload.py';
  assert.deepEqual(upload[0].duplicates?.map((d) => d.path), [other]);
  assert.equal(upload[0].duplicates?.[0].startLine, upload[0].startLine);
});

test('packContext: a first hit larger than the budget is cut to fit; adjacent hits merge', async () => {
  const tiny = await packContext(engine, 'upload with retry and exponential backoff', { budget: 40 });
  assert.ok(tiny.tokens <= 40 && tiny.blocks.length === 1 && tiny.truncated, JSON.stringify({ tokens: tiny.tokens, blocks: tiny.blocks.length, truncated: tiny.truncated }));
  // The imports (lines 1-2) and the function (5-17) of upload.py are separated by blank lines only: one block.
  const p = await packContext(engine, 'upload with retry imports requests time', { budget: 4000, path: 'src/upload.py' });
  assert.ok(p.blocks.every((b) => b.path === 'src/upload.py'));
  assert.equal(p.blocks.length, 1, p.blocks.map((b) => `${b.startLine}-${b.endLine}`).join(', '));
});

test('pathFilter: folders, files and gitignore-style globs', () => {
  const f = pathFilter('src/core')!;
  assert.equal(f('src/core/x.ts'), true);
  assert.equal(f('src/cli/x.ts'), false);
  assert.equal(pathFilter('*.py')!('a/b/c.py'), true);
  assert.equal(pathFilter('./src/**/*.py')!('src/a/b.py'), true);
  assert.equal(pathFilter('  '), undefined);
});

test('kindred context --json: the CLI prints the packed context', async () => {
  const r = await runCli(['context', folder, 'quicksort of integers', '--index-dir', path.join(tmp, 'index'), '--no-update', '--budget', '500', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tokens: number; budget: number; blocks: { path: string }[] };
  assert.equal(out.budget, 500);
  assert.ok(out.tokens <= 500 && out.blocks.some((b) => b.path === 'src/sorting.c' || b.path === 'src/legacy/sort_copy.c'));
  const bad = await runCli(['context', folder, 'x', '--budget', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--budget must be an integer/);
});
