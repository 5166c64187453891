import { embeddingText } from '../../src/core/chunking/embedText';
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineStatus } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

// Edits first: while the first index of a big folder is being built, a saved file is searchable by
// keyword at once and embedded before the rest. The embedder is gated by the test (a batch runs only
// when the test lets it), so "while the build runs" is a fact of the test, not a matter of speed.

const FILES = 1200;
let tmp: string;
let ws: string;

before(() => {
  tmp = makeTree({});
  ws = path.join(tmp, 'ws');
  for (let i = 0; i < FILES; i++) {
    mkdirSync(path.join(ws, `m${i % 20}`), { recursive: true });
    writeFileSync(path.join(ws, `m${i % 20}`, `f${i}.ts`), `export function ledger${i}(amount: number): number {\n  return amount * ${i};\n}\n`);
  }
});

after(() => removeTree(tmp));

test('a file saved during the first build is searchable by keyword before the build ends, and embedded first', { timeout: 300_000 }, async () => {
  const service = new EngineService(() => undefined);
  try {
    await service.handle('configure', testEngineConfig(ws, 'ws', path.join(tmp, 'idx'), { indexOnStartup: false }));
    const engine = service.engineFor(ws)!;
    const runtime = engine.runtime!;
    const embed = runtime.embedPassages.bind(runtime);
    const waiting: (() => void)[] = [];
    let open = false;
    runtime.embedPassages = async (texts) => {
      if (!open) await new Promise<void>((r) => waiting.push(r));
      return embed(texts);
    };
    const release = (): void => waiting.shift()?.();
    const status = (): Promise<EngineStatus> => service.handle('status', {});
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    await service.handle('reindex', { full: true });
    for (let i = 0; waiting.length === 0; i++) {
      assert.ok(i < 600, 'the first build never reached embedding');
      await sleep(50);
    }
    // The first build is embedding (held by the gate). The user saves a file.
    const edited = path.join(ws, 'm3', 'settlement.ts');
    writeFileSync(edited, 'export function reconcileQuarterlySettlement(): void {}\n');
    let releases = 0;
    for (let i = 0; ; i++) {
      const hits = await service.handle('search', { query: 'reconcileQuarterlySettlement', k: 3, mode: 'bm25' });
      if (hits[0]?.path === 'm3/settlement.ts') break;
      assert.ok(i < 400, 'the edit never became searchable');
      // Batches in flight finish one at a time, so an interrupted build can stop between two.
      if (i % 4 === 3 && waiting.length > 0) {
        release();
        releases++;
      }
      await sleep(50);
    }
    const during = await status();
    assert.ok(during.folders[0].embedded < during.folders[0].chunks / 2, `keyword-searchable while the build runs: ${JSON.stringify(during.folders[0])}, ${releases} batches let through`);

    // By meaning: the edited file's chunk is embedded before the rest of the build.
    const store = (): typeof engine.index => service.engineFor(ws)!.index;
    const editedChunk = (): number | undefined => [...store().chunks.values()].find((c) => c.path === 'm3/settlement.ts')?.id;
    for (let i = 0; ; i++) {
      const id = editedChunk();
      if (id !== undefined && store().vectorIds.has(id)) break;
      assert.ok(i < 400, 'the edited file was never embedded');
      release();
      await sleep(20);
    }
    const embeddedAfter = (await status()).folders[0];
    assert.ok(embeddedAfter.embedded < embeddedAfter.chunks / 2, `embedded first: ${JSON.stringify(embeddedAfter)}`);

    // Then the build completes.
    open = true;
    while (waiting.length) release();
    const done = await service.handle('flush', {});
    assert.equal(done.folders[0].files, FILES + 1);
    assert.equal(done.folders[0].embedded, done.folders[0].chunks);
    // Searchable by meaning: its vector is the nearest to its own embedded text (path and symbol above the code).
    const [own] = await runtime.embedPassages([
      embeddingText('m3/settlement.ts', { symbol: 'reconcileQuarterlySettlement', text: 'export function reconcileQuarterlySettlement(): void {}' }),
    ]);
    const nearest = store().nearest(own, 1);
    assert.equal(store().chunks.get(nearest[0].id)?.path, 'm3/settlement.ts');
  } finally {
    await service.dispose();
  }
});
