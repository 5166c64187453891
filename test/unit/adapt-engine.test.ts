import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ADAPTER_FORMAT, adapterPath, QueryAdapter, saveAdapter } from '../../src/core/adapt/adapter';
import { Engine } from '../../src/core/engine';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

// The real default model over the fixture workspace; adapters are written by hand beside the index.
let folder: string;
let indexDir: string;
let engine: Engine;

before(async () => {
  ({ folder, indexDir } = copyWorkspaceFixture('kindred-adapt-engine-'));
  engine = await Engine.open({ folder, indexDir, threads: 1 });
  await engine.update();
});

after(async () => {
  await engine?.close();
  removeTree(path.dirname(folder));
});

/** −I: the query turned around, so vector search ranks the least similar chunks first. */
function negated(dims: number): Float32Array {
  const w = new Float32Array(dims * dims);
  for (let i = 0; i < dims; i++) w[i * dims + i] = -1;
  return w;
}

async function writeAdapter(enabled: boolean): Promise<void> {
  const m = engine.index.model;
  await saveAdapter(
    indexDir,
    new QueryAdapter({ format: ADAPTER_FORMAT, model: m.id, dtype: m.dtype, dims: m.dims, enabled, createdAt: new Date(0).toISOString() }, negated(m.dims)),
  );
}

const key = (hits: { path: string; startLine: number; score: number }[]): string[] => hits.map((h) => `${h.path}:${h.startLine}:${h.score.toFixed(5)}`);

/** The same hits in the same order, scores within 0.002 (a reopened index replays recent vectors from half floats). */
function assertSameHits(a: { path: string; startLine: number; score: number }[], b: { path: string; startLine: number; score: number }[]): void {
  assert.deepEqual(a.map((h) => `${h.path}:${h.startLine}`), b.map((h) => `${h.path}:${h.startLine}`));
  a.forEach((h, i) => assert.ok(Math.abs(h.score - b[i].score) < 0.002, `${h.path}: ${h.score} vs ${b[i].score}`));
}

test('an enabled adapter changes query vectors only: search changes, stored vectors and similar() do not; adapter:false bypasses it', async () => {
  const query = 'read a text file from disk';
  const plain = await engine.search(query, { mode: 'vector', k: 5 });
  const similarBefore = await engine.similar('src/fileUtils.ts', 1, 5, { k: 5 });
  const vectorsBefore = [...engine.index.chunks.keys()].filter((id) => engine.index.vectorIds.has(id)).map((id) => Array.from(engine.index.vectorOf(id) ?? []));
  assert.equal(engine.adapterActive, false);

  await writeAdapter(true);
  assert.equal(await engine.reloadAdapter(), true);
  assert.equal(engine.adapterActive, true);
  assert.equal((await engine.stats()).adapter, true);
  const adapted = await engine.search(query, { mode: 'vector', k: 5 });
  assert.notDeepEqual(key(adapted), key(plain), 'the adapter should change the query');
  // −I flips every cosine: the adapted top hit is one of the least similar chunks, not one of the most.
  assert.ok(!plain.some((h) => h.path === adapted[0].path && h.startLine === adapted[0].startLine), `${adapted[0].path}:${adapted[0].startLine}`);
  assert.deepEqual(key(await engine.search(query, { mode: 'vector', k: 5, adapter: false })), key(plain));
  assert.deepEqual(key(await engine.similar('src/fileUtils.ts', 1, 5, { k: 5 })), key(similarBefore), 'similar() embeds code as a passage: not adapted');
  assert.deepEqual(
    [...engine.index.chunks.keys()].filter((id) => engine.index.vectorIds.has(id)).map((id) => Array.from(engine.index.vectorOf(id) ?? [])),
    vectorsBefore,
    'passage vectors stay as they are',
  );
  // bm25 never embeds the query, so an adapter cannot touch it.
  assert.deepEqual(key(await engine.search(query, { mode: 'bm25', k: 5 })), key(await engine.search(query, { mode: 'bm25', k: 5, adapter: false })));
});

test('a disabled (or removed) adapter changes nothing', async () => {
  const query = 'format a date as an ISO string';
  await fs.rm(adapterPath(indexDir, { model: engine.index.model.id, dtype: engine.index.model.dtype, dims: engine.index.model.dims }), { force: true });
  await engine.reloadAdapter();
  const plain = await engine.search(query, { mode: 'hybrid', k: 5 });
  await writeAdapter(false);
  assert.equal(await engine.reloadAdapter(), false);
  assert.equal(engine.adapterActive, false);
  assert.equal((await engine.stats()).adapter, false);
  assert.deepEqual(key(await engine.search(query, { mode: 'hybrid', k: 5 })), key(plain));
  // A fresh engine reads the disabled file and leaves it off too.
  const again = await Engine.open({ folder, indexDir, threads: 1 }, engine.runtime);
  try {
    assert.equal(again.adapterActive, false);
    assertSameHits(await again.search(query, { mode: 'hybrid', k: 5 }), plain);
  } finally {
    await again.close();
  }
});
