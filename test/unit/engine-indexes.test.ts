import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import type { Logger } from '../../src/core/log';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

// Indexes keyed by folder + model + precision; read-only engines never write; readers see writers'
// commits without reopening; a format-1 index is replaced with one message.

let tmp: string;
let folder: string;

before(() => {
  ({ tmp, folder } = copyWorkspaceFixture('kindred-indexes-'));
});

after(() => removeTree(tmp));

function recorder(): Logger & { warns: string[] } {
  const warns: string[] = [];
  return { warns, info() {}, warn: (m) => warns.push(m) };
}

/** name -> [size, mtime] of every file under dir (recursively). */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[path.relative(dir, p)] = `${st.size}@${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

test('a read-only search with another precision leaves the existing index and its results intact; each precision has its own index', async () => {
  const indexDir = path.join(tmp, 'index-models');
  const q8 = await Engine.open({ folder, indexDir, dtype: 'q8', threads: 1 });
  const built = await q8.update();
  const before = await q8.search('read the contents of a file from disk', { k: 3 });
  await q8.close();
  const onDisk = snapshotTree(indexDir);

  const log = recorder();
  const reader = await Engine.open({ folder, indexDir, dtype: 'fp32', threads: 1, readOnly: true, logger: log });
  try {
    assert.deepEqual(await reader.search('read the contents of a file from disk', { k: 3 }), [], 'no fp32 index yet: nothing, and nothing rebuilt');
    await assert.rejects(reader.update(), /read-only/);
  } finally {
    await reader.close();
  }
  assert.deepEqual(snapshotTree(indexDir), onDisk, 'nothing under the index directory was written, created or deleted');
  assert.deepEqual(log.warns, []);

  // A writer with the other precision builds its own index next to the first.
  const fp32 = await Engine.open({ folder, indexDir, dtype: 'fp32', threads: 1 });
  try {
    const s = await fp32.update();
    assert.equal(s.embedded, built.chunks);
    const stats = await fp32.stats();
    assert.deepEqual(stats.indexes.map((i) => `${i.name} ${i.model?.dtype}`).sort(), ['Xenova_all-MiniLM-L6-v2.fp32 fp32', 'Xenova_all-MiniLM-L6-v2.q8 q8']);
    assert.ok(stats.indexes.every((i) => i.bytes > 0));
  } finally {
    await fp32.close();
  }

  const again = await Engine.open({ folder, indexDir, dtype: 'q8', threads: 1 });
  try {
    const s = await again.update();
    assert.equal(s.embedded, 0, 'switching back finds the q8 index intact');
    assert.deepEqual(await again.search('read the contents of a file from disk', { k: 3 }), before);
  } finally {
    await again.close();
  }

  assert.equal(await Engine.deleteIndex({ folder, indexDir }, 'Xenova_all-MiniLM-L6-v2.fp32'), true);
  assert.deepEqual((await Engine.listIndexes({ folder, indexDir })).map((i) => i.name), ['Xenova_all-MiniLM-L6-v2.q8']);
  assert.equal(await Engine.deleteIndex({ folder, indexDir }, 'nope'), false);
});

test('a read-only engine sees the writer’s commits on its next search, without reopening', async () => {
  const indexDir = path.join(tmp, 'index-reader');
  const writer = await Engine.open({ folder, indexDir, threads: 1 });
  try {
    await writer.update();
    const reader = await Engine.open({ folder, indexDir, threads: 1, readOnly: true }, writer.runtime);
    try {
      assert.deepEqual(await reader.search('zanzibarquokka', { mode: 'bm25' }), []);
      writeFileSync(path.join(folder, 'src', 'quokka.ts'), 'export function zanzibarQuokka(): string {\n  return "a marsupial that smiles";\n}\n');
      await writer.update({ only: ['src/quokka.ts'] });
      const hits = await reader.search('zanzibarquokka', { mode: 'bm25' });
      assert.equal(hits[0]?.path, 'src/quokka.ts');
      const semantic = await reader.search('a smiling marsupial', { mode: 'vector', k: 1 });
      assert.equal(semantic[0]?.path, 'src/quokka.ts', 'its vector too (replayed from the delta)');
    } finally {
      await reader.close();
    }
  } finally {
    await writer.close();
  }
});

test('an index of format 1 is replaced with one message; files that are not the index’s are kept', async () => {
  const indexDir = path.join(tmp, 'index-format1');
  mkdirSync(indexDir, { recursive: true });
  for (const name of ['manifest.json', 'meta.3.json', 'lexical.3.json', 'vectors.3.hnsw']) writeFileSync(path.join(indexDir, name), '{"format":1}');
  writeFileSync(path.join(indexDir, 'notes.txt'), 'mine');

  const readLog = recorder();
  const reader = await Engine.open({ folder, indexDir, threads: 1, readOnly: true, logger: readLog });
  await reader.close();
  assert.ok(existsSync(path.join(indexDir, 'manifest.json')), 'a reader leaves the old index alone');

  const log = recorder();
  const engine = await Engine.open({ folder, indexDir, threads: 1, logger: log });
  try {
    assert.equal(log.warns.length, 1, JSON.stringify(log.warns));
    assert.match(log.warns[0], /format 1/);
    const s = await engine.update();
    assert.ok(s.chunks > 10 && s.embedded === s.chunks);
    assert.deepEqual(readdirSync(indexDir).filter((n) => !statSync(path.join(indexDir, n)).isDirectory()).sort(), ['notes.txt']);
  } finally {
    await engine.close();
  }
});
