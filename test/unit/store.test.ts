import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isKindredError } from '../../src/core/errors';
import { bodyHash, clearIndexDir, hashText, IndexLock, IndexStore, type ModelKey } from '../../src/core/index/store';
import { makeTree, removeTree } from '../helpers/fixtures';
import { DatabaseSync } from '@photostructure/sqlite';

const MODEL: ModelKey = { id: 'test/model', dtype: 'fp32', dims: 8 };

function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: 8 }, (_, i) => Math.sin(seed * 7.3 + i * 1.9));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function chunk(text: string, start: number, symbol?: string) {
  return { startLine: start, endLine: start + 2, text, hash: hashText(text), ...(symbol ? { symbol } : {}) };
}

function fill(store: IndexStore): void {
  const a = store.setFile({ path: 'a.ts', size: 10, mtimeMs: 1, hash: 'ha' }, [chunk('function readFile() {}', 1, 'readFile'), chunk('const x = 1', 5)]);
  const b = store.setFile({ path: 'dir/b.py', size: 20, mtimeMs: 2, hash: 'hb' }, [chunk('def upload(): retry()', 1, 'upload')]);
  [...a, ...b].forEach((r, i) => store.addVector(r.id, unit(i + 1)));
}

/** A new index in `dir` holding fill()'s files, saved (the delta committed, no snapshot yet). */
async function savedStore(dir: string): Promise<IndexStore> {
  const store = IndexStore.create(dir, '/folder', MODEL);
  fill(store);
  await store.save();
  return store;
}

test('an index saved and reopened has the same files, chunks, vectors and lexical entries', async () => {
  const dir = makeTree({});
  try {
    await savedStore(dir);
    const again = await IndexStore.open(dir);
    assert.deepEqual([...again.files.keys()].sort(), ['a.ts', 'dir/b.py']);
    assert.equal(again.chunks.size, 3);
    assert.equal(again.vectorIds.size, 3);
    assert.equal(again.checkIntegrity(), undefined);
    const near = again.nearest(unit(3), 1);
    assert.equal(again.chunks.get(near[0].id)!.path, 'dir/b.py');
    assert.ok(near[0].score > 0.999);
    assert.equal(again.chunks.get(again.lexical.search('upload', 5)[0].id)!.symbol, 'upload');
    // Replayed from the delta, where vectors wait as half floats.
    const back = again.vectorForHash(hashText('const x = 1'))!;
    assert.ok(back.every((x, i) => Math.abs(x - unit(2)[i]) < 1e-3), `${Array.from(back)}`);
  } finally {
    removeTree(dir);
  }
});

test('the writer searches the vectors a reader replays from the store: the same values, the same scores', async () => {
  const dir = makeTree({});
  try {
    const store = await savedStore(dir);
    // No snapshot yet: the reader replays every vector from the delta, where they wait as half floats.
    const reader = await IndexStore.open(dir, { readOnly: true });
    for (const id of [...store.chunks.values()].map((c) => c.id)) assert.deepEqual(reader.vectorOf(id), store.vectorOf(id), `vector ${id}`);
    assert.deepEqual(reader.nearest(unit(9), 3), store.nearest(unit(9), 3));
    await reader.close();
    await store.close();
  } finally {
    removeTree(dir);
  }
});

test('removing a file removes its chunks from vectors and the lexical index', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    fill(store);
    store.removeFile('dir/b.py');
    assert.equal(store.lexical.search('upload', 5).length, 0);
    assert.ok(store.nearest(unit(3), 3).every((h) => store.chunks.get(h.id)!.path === 'a.ts'));
    await store.save();
    const again = await IndexStore.open(dir);
    assert.equal(again.chunks.size, 2);
    assert.equal(again.checkIntegrity(), undefined);
  } finally {
    removeTree(dir);
  }
});

test('a snapshot names its commit; leftovers of a crash (snapshot, temp file) are removed by the writer, other files kept', async () => {
  const dir = makeTree({});
  try {
    const store = await savedStore(dir);
    await store.snapshot();
    const snap = readdirSync(dir).filter((n) => n.endsWith('.hnsw'));
    assert.deepEqual(snap, [`vectors.${store.generationNumber - 1}.hnsw`], 'the snapshot is of the commit before its own record');
    writeFileSync(path.join(dir, 'vectors.77.hnsw'), 'orphan from a crash');
    writeFileSync(path.join(dir, 'vectors.78.hnsw.4242.tmp'), 'half-written');
    writeFileSync(path.join(dir, 'user-notes.txt'), 'not ours');
    store.removeFile('a.ts');
    await store.save();
    await store.close();
    const reader = await IndexStore.open(dir, { readOnly: true });
    reader.removeOrphans();
    await reader.close();
    assert.ok(readdirSync(dir).includes('vectors.77.hnsw'), 'a reader removes nothing');
    const again = await IndexStore.open(dir);
    again.removeOrphans(); // the engine does this under the write lock
    assert.equal(again.chunks.size, 1);
    assert.equal(again.checkIntegrity(), undefined);
    await again.close();
    const names = readdirSync(dir).filter((n) => !n.startsWith('index.db')).sort();
    assert.deepEqual(names, ['user-notes.txt', ...snap]);
  } finally {
    removeTree(dir);
  }
});

test('a damaged database or snapshot is reported as corrupt, and clearing leaves other files alone', async () => {
  for (const damage of ['db truncated', 'db pages garbled', 'snapshot truncated', 'snapshot garbled', 'snapshot deleted', 'future format'] as const) {
    const dir = makeTree({});
    try {
      const store = await savedStore(dir);
      await store.snapshot();
      await store.close();
      writeFileSync(path.join(dir, 'keep.txt'), 'mine');
      const db = path.join(dir, 'index.db');
      const vec = path.join(dir, readdirSync(dir).find((n) => n.endsWith('.hnsw'))!);
      if (damage === 'db truncated') await fs.truncate(db, (await fs.stat(db)).size >> 1);
      if (damage === 'db pages garbled') {
        const buf = await fs.readFile(db);
        for (let p = 4096; p < buf.length; p += 4096) buf.fill(0x5a, p, p + 16);
        await fs.writeFile(db, buf);
      }
      if (damage === 'snapshot truncated') await fs.truncate(vec, 100);
      if (damage === 'snapshot garbled') {
        const buf = await fs.readFile(vec);
        buf[buf.length >> 1] ^= 0xff;
        await fs.writeFile(vec, buf);
      }
      if (damage === 'snapshot deleted') await fs.rm(vec);
      if (damage === 'future format') {
        const w = new DatabaseSync(db);
        w.exec(`UPDATE meta SET value = '99' WHERE key = 'format'`);
        w.close();
      }
      await assert.rejects(IndexStore.open(dir), (e: unknown) => isKindredError(e) && e.code === 'index-corrupt', damage);
      await clearIndexDir(dir);
      assert.deepEqual(readdirSync(dir), ['keep.txt']);
    } finally {
      removeTree(dir);
    }
  }
});

test('the write lock refuses a second live owner and takes over a dead one', async () => {
  const dir = makeTree({});
  try {
    const lock = await IndexLock.acquire(dir);
    // Pretend another live process (our parent) holds it.
    writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: process.ppid, host: require('node:os').hostname() }));
    await assert.rejects(IndexLock.acquire(dir), (e: unknown) => isKindredError(e) && e.code === 'index-locked');
    // A dead owner's lock is stale.
    writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: require('node:os').hostname() }));
    const again = await IndexLock.acquire(dir);
    await again.release();
    await lock.release();
  } finally {
    removeTree(dir);
  }
});

test('a chunk holding small definitions among others is found for each of them (chunk_names), after its own definitions; names follow edits', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    const group = { ...chunk('defp get_opts!(), do: 1\ndefp put_opts(v), do: v', 10, 'Config'), names: ['get_opts!', 'put_opts'] };
    store.setFile({ path: 'config.ex', size: 10, mtimeMs: 1, hash: 'h1' }, [chunk('def get_opts!(x), do: x', 1, 'Other.get_opts!'), group]);
    await store.save();
    const found = (s: IndexStore, name: string): [string | undefined, boolean][] => s.chunksDefining(name, 20).map((c) => [c.symbol, !!c.grouped]);
    assert.deepEqual(found(store, 'get_opts!'), [['Other.get_opts!', false], ['Config', true]]);
    assert.deepEqual(found(store, 'put_opts'), [['Config', true]]);
    // The same text under new names, then the group gone: its names go with it.
    store.setFile({ path: 'config.ex', size: 11, mtimeMs: 2, hash: 'h2' }, [{ ...group, names: ['put_opts'] }]);
    assert.deepEqual(found(store, 'get_opts!'), []);
    assert.deepEqual(found(store, 'put_opts'), [['Config', true]]);
    store.setFile({ path: 'config.ex', size: 12, mtimeMs: 3, hash: 'h3' }, [chunk('x = 1', 1)]);
    await store.save();
    assert.deepEqual(found(store, 'put_opts'), []);
    await store.close();

    // An index written before the table: a reader finds definitions as before; the first writer adds the table.
    const db = new DatabaseSync(path.join(dir, 'index.db'));
    db.exec('DROP TABLE chunk_names');
    db.close();
    const reader = await IndexStore.open(dir, { readOnly: true });
    assert.deepEqual(found(reader, 'put_opts'), []);
    await reader.close();
    const writer = await IndexStore.open(dir);
    writer.setFile({ path: 'config.ex', size: 13, mtimeMs: 4, hash: 'h4' }, [group]);
    await writer.save();
    assert.deepEqual(found(writer, 'put_opts'), [['Config', true]]);
    await writer.close();
  } finally {
    removeTree(dir);
  }
});

test('definitions of a name are found through chunks.name; an index written before the column gets it from its first writer', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    store.setFile({ path: 'r.ts', size: 10, mtimeMs: 1, hash: 'hr' }, [chunk('class Router { handle() {} }', 1, 'Router.handle'), chunk('function handle() {}', 5, 'handle'), chunk('Mod::handle', 9, 'Mod::handle'), chunk('x', 12, 'handler')]);
    await store.save();
    const names = (s: IndexStore): string[] => s.chunksDefining('handle', 20).map((c) => c.symbol!).sort();
    assert.deepEqual(names(store), ['Mod::handle', 'Router.handle', 'handle']);
    await store.close();

    // As an older index was: no name column, no index on it.
    const db = new DatabaseSync(path.join(dir, 'index.db'));
    db.exec('DROP INDEX chunks_name');
    db.exec('ALTER TABLE chunks DROP COLUMN name');
    db.close();
    const reader = await IndexStore.open(dir, { readOnly: true });
    assert.deepEqual(names(reader), ['Mod::handle', 'Router.handle', 'handle']); // scans the symbols, writes nothing
    await reader.close();
    const check = new DatabaseSync(path.join(dir, 'index.db'), { readOnly: true });
    assert.ok(!(check.prepare('PRAGMA table_info(chunks)').all() as { name: string }[]).some((c) => c.name === 'name'));
    check.close();
    const writer = await IndexStore.open(dir);
    assert.deepEqual(names(writer), ['Mod::handle', 'Router.handle', 'handle']);
    const plan = writer['db'].prepare("EXPLAIN QUERY PLAN SELECT id FROM chunks WHERE name = 'handle'").all() as { detail: string }[];
    assert.ok(plan.some((p) => /chunks_name/.test(p.detail)), JSON.stringify(plan));
    await writer.close();
  } finally {
    removeTree(dir);
  }
});

test('a chunk keeps the hash of its own text (body); an index written before the column gets it, and re-chunked files fill it', async () => {
  const dir = makeTree({});
  try {
    const withBody = (text: string, start: number, file: string) => ({ ...chunk(`${file}\n${text}`, start), text, body: bodyHash(text) });
    const store = IndexStore.create(dir, '/folder', MODEL);
    store.setFile({ path: 'a.py', size: 10, mtimeMs: 1, hash: 'ha' }, [withBody('def f(): pass', 1, 'a.py')]);
    store.setFile({ path: 'b.py', size: 10, mtimeMs: 1, hash: 'hb' }, [withBody('def f(): pass', 1, 'b.py')]);
    await store.save();
    const records = [...store.chunks.values()];
    assert.equal(records.length, 2);
    assert.notEqual(records[0].hash, records[1].hash, 'the hash covers the path header');
    assert.equal(records[0].body, bodyHash('def f(): pass'));
    assert.equal(records[1].body, records[0].body);
    assert.deepEqual(store.chunksByIds(records.map((r) => r.id)).get(records[1].id)?.body, records[0].body);
    await store.close();

    // As an older index was: no body column. A reader reads chunks without bodies; the first writer adds the column.
    const db = new DatabaseSync(path.join(dir, 'index.db'));
    db.exec('ALTER TABLE chunks DROP COLUMN body');
    db.close();
    const reader = await IndexStore.open(dir, { readOnly: true });
    assert.deepEqual([...reader.chunks.values()].map((r) => r.body), [undefined, undefined]);
    await reader.close();
    const writer = await IndexStore.open(dir);
    assert.deepEqual([...writer.chunks.values()].map((r) => r.body), [undefined, undefined]);
    // The same chunk again (its file chunked again under a new chunking version): it keeps its id and gains its body.
    const id = records[0].id;
    writer.setFile({ path: 'a.py', size: 10, mtimeMs: 2, hash: 'ha2' }, [withBody('def f(): pass', 1, 'a.py')]);
    await writer.save();
    assert.equal(writer.chunk(id)?.body, bodyHash('def f(): pass'));
    assert.equal(writer.chunk(records[1].id)?.body, undefined);
    await writer.close();
  } finally {
    removeTree(dir);
  }
});

test('a generated file is marked in the store, its chunks carry the mark, and an older index gains the column', async () => {
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, '/folder', MODEL);
    store.setFile({ path: 'mask.c', size: 10, mtimeMs: 1, hash: 'hm', generated: true }, [chunk('static void mask() {}', 1, 'mask')]);
    store.setFile({ path: 'mask.pyx', size: 10, mtimeMs: 1, hash: 'hp' }, [chunk('def mask(): pass', 1, 'mask')]);
    await store.save();
    await store.close();
    const again = await IndexStore.open(dir, { readOnly: true });
    assert.equal(again.files.get('mask.c')?.generated, true);
    assert.equal(again.files.get('mask.pyx')?.generated, undefined);
    assert.deepEqual(again.chunksOfPath('mask.c').map((c) => c.generated), [true]);
    assert.deepEqual(again.chunksOfPath('mask.pyx').map((c) => c.generated), [undefined]);
    await again.close();

    // As an older index was: no generated column. A reader marks nothing; the first writer adds the column, and a file
    // read again (the chunking version that brought the column has every file read again) gets its mark.
    const db = new DatabaseSync(path.join(dir, 'index.db'));
    db.exec('ALTER TABLE files DROP COLUMN generated');
    db.close();
    const reader = await IndexStore.open(dir, { readOnly: true });
    assert.equal(reader.files.get('mask.c')?.generated, undefined);
    assert.equal(reader.chunksOfPath('mask.c')[0].symbol, 'mask');
    await reader.close();
    const writer = await IndexStore.open(dir);
    assert.equal(writer.files.get('mask.c')?.generated, undefined);
    writer.setFile({ path: 'mask.c', size: 10, mtimeMs: 2, hash: 'hm2', generated: true }, [chunk('static void mask() {}', 1, 'mask')]);
    await writer.save();
    assert.equal(writer.files.get('mask.c')?.generated, true);
    assert.deepEqual(writer.chunksOfPath('mask.c').map((c) => c.generated), [true]);
    await writer.close();
  } finally {
    removeTree(dir);
  }
});
