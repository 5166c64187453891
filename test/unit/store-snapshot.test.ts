import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { DatabaseSync } from '@photostructure/sqlite';
import * as path from 'node:path';
import { hashText, IndexStore, type ModelKey } from '../../src/core/index/store';
import { makeTree, removeTree } from '../helpers/fixtures';

// The HNSW graph as derived state: a snapshot that records its commit, plus the delta after it in
// SQLite, replayed on open; readers in other connections pick up commits; unchanged chunks keep ids.

const MODEL: ModelKey = { id: 'test/model', dtype: 'fp32', dims: 8 };

/** A deterministic pseudo-random unit vector per seed (far from the others'). */
function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: 8 }, (_, i) => {
    const x = Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453;
    return x - Math.floor(x) - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function chunk(text: string, start: number, symbol?: string) {
  return { startLine: start, endLine: start + 2, text, hash: hashText(text), ...(symbol ? { symbol } : {}) };
}

/** Adds file `f<i>.ts` with two chunks and their vectors; returns the chunk ids. */
function addFile(store: IndexStore, i: number): number[] {
  const recs = store.setFile({ path: `f${i}.ts`, size: i, mtimeMs: i, hash: `h${i}` }, [chunk(`function alpha${i}() {}`, 1, `alpha${i}`), chunk(`const beta${i} = ${i}`, 4)]);
  recs.forEach((r, j) => store.addVector(r.id, unit(i * 10 + j)));
  return recs.map((r) => r.id);
}

function rows(dir: string, table: string): number {
  const db = new DatabaseSync(path.join(dir, 'index.db'), { readOnly: true });
  try {
    return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

test('open = snapshot + replay of the vectors and deletions committed after it', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    for (let i = 1; i <= 20; i++) addFile(store, i);
    await store.save();
    await store.snapshot();
    assert.equal(rows(dir, 'vec_delta'), 0, 'the snapshot holds every vector: the delta is pruned');
    const snapshot = readdirSync(dir).filter((n) => n.endsWith('.hnsw'));
    assert.equal(snapshot.length, 1);

    // After the snapshot: new vectors, a deleted file, an edited file.
    const added = addFile(store, 21);
    store.removeFile('f3.ts');
    store.setFile({ path: 'f5.ts', size: 5, mtimeMs: 99, hash: 'h5b' }, [chunk('function alpha5() {}', 1, 'alpha5'), chunk('const gamma5 = 55', 4)]);
    const gamma = store.lexical.search('gamma5', 1)[0].id;
    store.addVector(gamma, unit(555));
    await store.save();
    assert.equal(rows(dir, 'vec_delta'), 3);
    assert.equal(rows(dir, 'vec_gone'), 3, 'two chunks of f3.ts and the replaced chunk of f5.ts');
    await store.close();
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.hnsw')), snapshot, 'a small delta does not write a new snapshot');

    const again = await IndexStore.open(dir);
    try {
      assert.equal(again.checkIntegrity(), undefined);
      assert.equal(again.vectorIds.size, 40);
      assert.equal(again.nearest(unit(210), 1)[0].id, added[0], 'a vector from the delta is found');
      assert.equal(again.nearest(unit(555), 1)[0].id, gamma);
      const near = again.nearest(unit(30), 40).map((h) => again.chunks.get(h.id)?.path);
      assert.ok(!near.includes('f3.ts') && !near.includes(undefined), 'deleted vectors are not found');
    } finally {
      await again.close();
    }
  } finally {
    removeTree(dir);
  }
});

test('a snapshot keeps the rows committed while it was written; one with nothing after it clears the delta and gives its pages back', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    for (let i = 1; i <= 200; i++) addFile(store, i);
    await store.save();
    const writing = store.snapshot(); // commits, then writes the graph on another thread
    const late = addFile(store, 201);
    await store.save(); // committed before the snapshot is recorded
    await writing;
    assert.equal(rows(dir, 'vec_delta'), 2, 'only the two vectors committed during the write stay staged');
    await store.snapshot();
    assert.equal(rows(dir, 'vec_delta'), 0);
    const db = new DatabaseSync(path.join(dir, 'index.db'), { readOnly: true });
    try {
      assert.equal(Number((db.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count), 0, 'the staged vectors’ pages are given back');
    } finally {
      db.close();
    }
    await store.close();
    const again = await IndexStore.open(dir);
    try {
      assert.equal(again.checkIntegrity(), undefined);
      assert.equal(again.vectorIds.size, 402);
      assert.equal(again.nearest(unit(2010), 1)[0].id, late[0]);
    } finally {
      await again.close();
    }
  } finally {
    removeTree(dir);
  }
});

test('a reader in another connection sees the writer’s commits on refresh, across a new snapshot, and never writes', async () => {
  const dir = makeTree({});
  try {
    const writer = IndexStore.create(dir, '/folder', MODEL);
    addFile(writer, 1);
    await writer.save();
    const reader = await IndexStore.open(dir, { readOnly: true });
    try {
      assert.equal(reader.chunks.size, 2);
      const ids = addFile(writer, 2);
      assert.equal(reader.refresh(), false, 'nothing committed yet');
      assert.equal(reader.chunks.size, 2, 'uncommitted chunks are not visible');
      await writer.save();
      assert.equal(reader.refresh(), true);
      assert.equal(reader.lexical.search('alpha2', 1)[0]?.id, ids[0]);
      assert.equal(reader.nearest(unit(20), 1)[0].id, ids[0]);

      // A snapshot prunes the delta the reader has not seen: it reloads from the snapshot.
      const later = addFile(writer, 3);
      await writer.save();
      await writer.snapshot();
      writer.removeFile('f1.ts');
      await writer.save();
      assert.equal(reader.refresh(), true);
      assert.equal(reader.nearest(unit(30), 1)[0].id, later[0]);
      assert.equal(reader.vectorIds.size, 4);
      assert.equal(reader.checkIntegrity(), undefined);
      assert.throws(() => reader.removeFile('f2.ts'), /read-only/);
    } finally {
      await reader.close();
      await writer.close();
    }
  } finally {
    removeTree(dir);
  }
});

test('an edit keeps the ids (and vectors) of unchanged chunks and re-inserts only the changed one', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    const before = store.setFile({ path: 'a.ts', size: 1, mtimeMs: 1, hash: 'h1' }, [chunk('one', 1, 'one'), chunk('two', 4), chunk('three', 7)]);
    before.forEach((r, i) => store.addVector(r.id, unit(i)));
    await store.save();
    // A line inserted at the top: every chunk moves down one line, the middle one changes.
    const after = store.setFile({ path: 'a.ts', size: 2, mtimeMs: 2, hash: 'h2' }, [chunk('one', 2, 'one'), chunk('two!', 5), chunk('three', 8)]);
    assert.equal(after[0].id, before[0].id);
    assert.equal(after[2].id, before[2].id);
    assert.notEqual(after[1].id, before[1].id);
    assert.equal(store.chunks.get(after[2].id)!.startLine, 8, 'moved chunks get their new lines');
    assert.ok(store.vectorIds.has(after[0].id) && !store.vectorIds.has(after[1].id));
    assert.deepEqual(store.pendingIds(), [after[1].id]);
    assert.equal(store.lexical.search('two', 5).length, 1, 'the old text left the keyword index');
    await store.save();
    assert.equal(store.checkIntegrity(), undefined);
    await store.close();
  } finally {
    removeTree(dir);
  }
});
