import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { ModelRuntime } from '../../src/core/embedding/runtime';
import { Engine } from '../../src/core/engine';
import type { Logger } from '../../src/core/log';
import { defaultModelsDir } from '../../src/core/paths';
import { removeTree, repoRoot } from '../helpers/fixtures';

// Engine-level corruption: a damaged index is reported once in plain words, rebuilt, and search works
// again; files in the index directory that are not the index's own are left alone.
// (IndexStore-level detection is in store.test.ts.)

let tmp: string;
let folder: string;
let runtime: ModelRuntime;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-corrupt-'));
  folder = path.join(tmp, 'ws');
  cpSync(path.join(repoRoot, 'test/fixtures/workspace'), folder, { recursive: true });
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

type Manifest = { files: Record<'vectors' | 'meta' | 'lexical', { name: string; bytes: number; sha256: string }>; format: number };

/** Ways an index gets damaged: by a disk, a sync tool, an editor, a newer version. */
const DAMAGES: Record<string, (dir: string, m: Manifest) => Promise<void>> = {
  'vectors file truncated': async (dir, m) => fs.truncate(path.join(dir, m.files.vectors.name), 64),
  'metadata garbled (one byte flipped)': async (dir, m) => {
    const file = path.join(dir, m.files.meta.name);
    const buf = readFileSync(file);
    buf[buf.length >> 1] ^= 0x5a;
    writeFileSync(file, buf);
  },
  'lexical index deleted': async (dir, m) => fs.rm(path.join(dir, m.files.lexical.name)),
  'manifest is not JSON': async (dir) => fs.writeFile(path.join(dir, 'manifest.json'), '{"format": 1, "gener'),
  'manifest empty': async (dir) => fs.writeFile(path.join(dir, 'manifest.json'), ''),
  'format from a future version': async (dir, m) => fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, format: 99 })),
  // Checksums all valid, but the metadata lists a chunk the lexical index does not have: only the
  // cross-check between metadata, vectors and lexical index catches this.
  'consistent checksums, inconsistent content': async (dir, m) => {
    const file = path.join(dir, m.files.meta.name);
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { nextId: number; chunks: unknown[][] };
    const row = [...meta.chunks[0]];
    row[0] = meta.nextId;
    meta.chunks.push(row);
    meta.nextId++;
    const buf = Buffer.from(JSON.stringify(meta));
    writeFileSync(file, buf);
    m.files.meta = { ...m.files.meta, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  },
};

for (const [name, damage] of Object.entries(DAMAGES)) {
  test(`damaged index (${name}): one plain warning, rebuilt, search works, user files untouched`, async () => {
    const indexDir = path.join(tmp, `index-${name.replace(/\W+/g, '-')}`);
    const first = await Engine.open({ folder, indexDir, logger: recorder() }, runtime);
    const built = await first.update();
    await first.close();
    assert.ok(built.chunks > 10);

    const mine = path.join(indexDir, 'my-notes.txt');
    writeFileSync(mine, 'the user keeps notes here');
    const manifest = JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as Manifest;
    await damage(indexDir, manifest);

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
