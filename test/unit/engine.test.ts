import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { isKindredError } from '../../src/core/errors';
import { defaultModelsDir } from '../../src/core/paths';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

// The real default model (all-MiniLM-L6-v2, int8) over the fixture workspace.
let folder: string;
let indexDir: string;
let engine: Engine;

before(async () => {
  ({ folder, indexDir } = copyWorkspaceFixture('kindred-engine-'));
  engine = await Engine.open({ folder, indexDir, threads: 1 });
});

after(async () => {
  await engine?.close();
  removeTree(path.dirname(folder));
});

test('a first index embeds every chunk; ignored files are left out', async () => {
  const s = await engine.update();
  assert.equal(s.embedded, s.chunks);
  assert.equal(s.reused, 0);
  assert.ok(s.chunks >= 12, `chunks: ${s.chunks}`);
  const paths = [...engine.index.files.keys()];
  assert.ok(paths.includes('src/fileUtils.ts'));
  assert.ok(!paths.some((p) => p.startsWith('build/')), 'build/ is gitignored');
  assert.equal(engine.index.checkIntegrity(), undefined);
});

const QUERIES: [string, string, string][] = [
  ['read the contents of a file from disk', 'src/fileUtils.ts', 'readTextFile'],
  ['retry failed uploads with backoff', 'src/upload.py', 'upload_with_retry'],
  ['find a user by email in the database', 'src/UserRepository.java', 'UserRepository.findByEmail'],
  ['check whether a number is prime', 'src/mathUtils.go', 'IsPrime'],
  ['how do I install it', 'docs/guide.md', 'Widget Service Guide > Installation'],
];

for (const mode of ['vector', 'hybrid'] as const) {
  test(`${mode} search in plain English ranks the answering function first`, async () => {
    for (const [query, file, symbol] of QUERIES) {
      const hits = await engine.search(query, { k: 5, mode });
      assert.equal(`${hits[0]?.path} ${hits[0]?.symbol}`, `${file} ${symbol}`, `query "${query}": ${JSON.stringify(hits.map((h) => `${h.path} ${h.symbol} ${h.score}`))}`);
    }
  });
}

test('the file-reading function outranks unrelated code for a file-reading query, by cosine similarity', async () => {
  const hits = await engine.search('read a file', { k: 20, mode: 'vector' });
  const score = (sym: string): number => hits.find((h) => h.symbol === sym)?.score ?? -1;
  assert.ok(score('readTextFile') > score('Fibonacci'), JSON.stringify(hits.map((h) => [h.symbol, h.score])));
  assert.ok(score('readTextFile') > score('quicksort'));
  assert.ok(score('readTextFile') > 0.3);
});

test('find-similar returns the near-duplicate and excludes the source range', async () => {
  // quicksort in src/sorting.c spans lines 10-26; its renamed copy lives in src/legacy/sort_copy.c.
  const hits = await engine.similar('src/sorting.c', 10, 26, { k: 3 });
  assert.equal(hits[0].path, 'src/legacy/sort_copy.c');
  assert.ok(!hits.some((h) => h.path === 'src/sorting.c' && h.startLine <= 26 && h.endLine >= 10));
  assert.ok(hits[0].score > 0.6, `similarity ${hits[0].score}`);
});

test('editing one file re-embeds only its changed chunks; deleting a file removes it from results', async () => {
  const before = engine.index.chunks.size;
  const file = path.join(folder, 'src/fileUtils.ts');
  const text = await fs.readFile(file, 'utf8');
  await fs.writeFile(file, text.replace('JSON.stringify(value, null, 2)', 'JSON.stringify(value, null, 4)'));
  const s1 = await engine.update();
  assert.equal(s1.embedded, 1, JSON.stringify(s1));
  assert.equal(s1.reused, s1.chunks - 1);
  assert.equal(s1.chunks, before);

  const s2 = await engine.update();
  assert.equal(s2.embedded, 0, 'nothing changed: nothing embedded');

  await fs.rm(path.join(folder, 'src/upload.py'));
  const s3 = await engine.update();
  assert.equal(s3.deleted, 1);
  const hits = await engine.search('retry failed uploads with backoff', { k: 10 });
  assert.ok(!hits.some((h) => h.path === 'src/upload.py'));
  assert.equal(engine.index.checkIntegrity(), undefined);
});

test('a renamed file re-embeds only its own chunks (the embedded text starts with the path)', async () => {
  await fs.rename(path.join(folder, 'src/cache.ts'), path.join(folder, 'src/lru.ts'));
  const s = await engine.update();
  const moved = [...engine.index.chunks.values()].filter((c) => c.path === 'src/lru.ts').length;
  assert.ok(moved > 0);
  assert.equal(s.embedded, moved, JSON.stringify(s));
  assert.equal(s.deleted, 1);
  const hits = await engine.search('least recently used cache', { k: 1 });
  assert.equal(hits[0].path, 'src/lru.ts');
});

test('the index reopens from disk with the same results', async () => {
  const hits = await engine.search('quicksort algorithm', { k: 3 });
  const again = await Engine.open({ folder, indexDir, threads: 1 });
  try {
    const hits2 = await again.search('quicksort algorithm', { k: 3 });
    assert.deepEqual(hits2.map((h) => [h.path, h.startLine]), hits.map((h) => [h.path, h.startLine]));
    const stats = await again.stats();
    assert.equal(stats.dimension, 384);
    assert.equal(stats.chunks, engine.index.chunks.size);
    assert.ok(stats.bytesOnDisk > 0);
  } finally {
    await again.close();
  }
});

test('a missing model is a clear error naming the fix', async () => {
  await assert.rejects(
    Engine.open({ folder, indexDir: path.join(folder, '..', 'idx2'), modelsDir: path.join(folder, 'no-models-here') }),
    (e: unknown) => isKindredError(e) && e.code === 'model-missing' && /npm run setup/.test(e.toUserString()) && !/\n/.test(e.toUserString()),
  );
  assert.ok(defaultModelsDir().length > 0);
});
