import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from '@photostructure/sqlite';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { ModelRuntime } from '../../src/core/embedding/runtime';
import { Engine } from '../../src/core/engine';
import type { Logger } from '../../src/core/log';
import { defaultModelsDir } from '../../src/core/paths';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

// Engine-level corruption: a damaged index is reported once in plain words, rebuilt, and search works
// again; files in the index directory that are not the index's own are left alone.
// (IndexStore-level detection is in store.test.ts.)

let tmp: string;
let folder: string;
let runtime: ModelRuntime;

before(async () => {
  ({ tmp, folder } = copyWorkspaceFixture('kindred-corrupt-'));
  runtime = await ModelRuntime.start({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 1);
});

after(async () => {
  await runtime?.close();
  removeTree(tmp);
});

function recorder(): Logger & { warns: string[] } {
  const warns: string[] = [];
  return { warns, info() {}, warn: (m) => warns.push(m) };
}

const snapshotOf = (dir: string): string => path.join(dir, readdirSync(dir).find((n) => /^vectors\.\d+\.hnsw$/.test(n))!);

function sql(dir: string, statement: string): void {
  const db = new DatabaseSync(path.join(dir, 'index.db'));
  db.exec(statement);
  db.close();
}

/** Ways an index gets damaged: by a disk, a sync tool, an editor, a newer version. */
const DAMAGES: Record<string, (dir: string) => Promise<void>> = {
  'database truncated': async (dir) => fs.truncate(path.join(dir, 'index.db'), (await fs.stat(path.join(dir, 'index.db'))).size >> 1),
  'database pages garbled': async (dir) => {
    const file = path.join(dir, 'index.db');
    const buf = readFileSync(file);
    for (let p = 4096; p < buf.length; p += 4096) buf.fill(0x5a, p, p + 16);
    writeFileSync(file, buf);
  },
  'database replaced by garbage': async (dir) => fs.writeFile(path.join(dir, 'index.db'), 'not a database at all'),
  'vector snapshot truncated': async (dir) => fs.truncate(snapshotOf(dir), 64),
  'vector snapshot garbled (one byte flipped)': async (dir) => {
    const file = snapshotOf(dir);
    const buf = readFileSync(file);
    buf[buf.length >> 1] ^= 0x5a;
    writeFileSync(file, buf);
  },
  'vector snapshot deleted': async (dir) => fs.rm(snapshotOf(dir)),
  'format from a future version': async (dir) => sql(dir, `UPDATE meta SET value = '99' WHERE key = 'format'`),
  // A valid database whose chunks and keyword index disagree: only the cross-check catches this.
  'valid database, inconsistent content': async (dir) => sql(dir, `INSERT INTO chunks(id, file, start, end, hash) SELECT 999999, file, 1, 2, 'x' FROM chunks LIMIT 1; UPDATE meta SET value = '1000000' WHERE key = 'nextId'`),
};

for (const [name, damage] of Object.entries(DAMAGES)) {
  test(`damaged index (${name}): one plain warning, rebuilt, search works, user files untouched`, async () => {
    const indexDir = path.join(tmp, `index-${name.replace(/\W+/g, '-')}`);
    const first = await Engine.open({ folder, indexDir, logger: recorder() }, runtime);
    const built = await first.update();
    await first.index.snapshot();
    const storeDir = first.storeDir;
    await first.close();
    assert.ok(built.chunks > 10);

    const mine = path.join(storeDir, 'my-notes.txt');
    writeFileSync(mine, 'the user keeps notes here');
    await damage(storeDir);

    const log = recorder();
    const engine = await Engine.open({ folder, indexDir, logger: log }, runtime);
    try {
      assert.equal(log.warns.length, 1, JSON.stringify(log.warns));
      const warning = log.warns[0];
      assert.match(warning, /Rebuilding the index/);
      assert.ok(!/\n|\bat \S+:\d+|Error:|undefined|\[object/.test(warning), `not plain words: ${warning}`);
      assert.ok(warning.length < 400, warning);

      const rebuilt = await engine.update();
      assert.equal(rebuilt.chunks, built.chunks);
      assert.equal(rebuilt.embedded, built.chunks, 'everything is embedded again');
      assert.equal(engine.index.checkIntegrity(), undefined);
      const hits = await engine.search('read the contents of a file from disk', { k: 3 });
      assert.equal(hits[0]?.symbol, 'readTextFile');
      assert.equal(log.warns.length, 1, 'reported once, not again while rebuilding');
      assert.equal(readFileSync(mine, 'utf8'), 'the user keeps notes here');
    } finally {
      await engine.close();
    }
  });
}

test('a big index is checked in the background: damage found after open is reported once and rebuilt by the next update', async () => {
  const indexDir = path.join(tmp, 'index-background-check');
  const first = await Engine.open({ folder, indexDir, logger: recorder() }, runtime);
  const built = await first.update();
  const storeDir = first.storeDir;
  await first.close();
  // Damage that opening does not read: the pages of one index of the chunks table (searched only by hash).
  const file = path.join(storeDir, 'index.db');
  const db = new DatabaseSync(file, { readOnly: true });
  const root = Number((db.prepare(`SELECT rootpage FROM sqlite_schema WHERE name = 'chunks_hash'`).get() as { rootpage: number }).rootpage);
  db.close();
  const buf = readFileSync(file);
  buf.fill(0x5a, (root - 1) * 4096 + 8, root * 4096);
  writeFileSync(file, buf);

  process.env.KINDRED_SYNC_CHECK_BYTES = '0'; // every database counts as big
  const log = recorder();
  let engine: Engine | undefined;
  try {
    engine = await Engine.open({ folder, indexDir, logger: log }, runtime);
    const problem = await engine.index.verified;
    assert.equal(problem?.code, 'index-corrupt');
    await new Promise((r) => setImmediate(r));
    assert.equal(log.warns.length, 1, JSON.stringify(log.warns));
    assert.match(log.warns[0], /damaged.*Rebuilding the index/);
    const rebuilt = await engine.update();
    assert.equal(rebuilt.embedded, built.chunks, 'everything is embedded again');
    assert.equal(engine.index.checkIntegrity(), undefined);
    assert.equal(log.warns.length, 1, 'reported once');
  } finally {
    delete process.env.KINDRED_SYNC_CHECK_BYTES;
    await engine?.close();
  }
});

test('a big index’s snapshot checksum is verified in the background: a flipped byte is reported once and rebuilt', async () => {
  const indexDir = path.join(tmp, 'index-background-snapshot');
  const first = await Engine.open({ folder, indexDir, logger: recorder() }, runtime);
  const built = await first.update();
  await first.index.snapshot();
  const storeDir = first.storeDir;
  await first.close();
  await DAMAGES['vector snapshot garbled (one byte flipped)'](storeDir);

  process.env.KINDRED_SYNC_CHECK_BYTES = '0'; // every database counts as big
  const log = recorder();
  let engine: Engine | undefined;
  try {
    engine = await Engine.open({ folder, indexDir, logger: log }, runtime);
    assert.deepEqual(log.warns, [], 'opened without reading the whole snapshot');
    const problem = await engine.index.verified;
    assert.match(problem?.message ?? '', /snapshot .* is damaged/);
    await new Promise((r) => setImmediate(r));
    assert.equal(log.warns.length, 1, JSON.stringify(log.warns));
    const rebuilt = await engine.update();
    assert.equal(rebuilt.embedded, built.chunks);
    assert.equal(engine.index.checkIntegrity(), undefined);
  } finally {
    delete process.env.KINDRED_SYNC_CHECK_BYTES;
    await engine?.close();
  }
});
