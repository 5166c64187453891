import { MAX_BATCH_ITEMS } from '../../src/core/embedding/batching';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { approximateTokens } from '../../src/core/embedding/approximate';
import { updateIndex, type EmbedDeps } from '../../src/core/indexer';
import { hashText, IndexStore, type ModelKey } from '../../src/core/index/store';
import { silentLogger } from '../../src/core/log';
import { makeTree, removeTree, writeTree } from '../helpers/fixtures';

// Checkpoints and resuming, with a deterministic stand-in for the model (fast): the vector of a text
// is a function of the text, so a stored vector shows exactly which text was embedded for it.

const MODEL: ModelKey = { id: 'test/model', dtype: 'fp32', dims: 8 };

function vectorOf(text: string): Float32Array {
  const h = createHash('sha256').update(text).digest();
  const v = Float32Array.from({ length: 8 }, (_, i) => h[i] - 127.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function fakeDeps(opts: { countTokens?: (t: string) => number; failAfterBatches?: number } = {}): EmbedDeps & { texts: string[]; batches: number } {
  const deps = {
    texts: [] as string[],
    batches: 0,
    async embedPassages(texts: string[]): Promise<Float32Array[]> {
      if (opts.failAfterBatches !== undefined && deps.batches >= opts.failAfterBatches) throw new Error('simulated crash while embedding');
      deps.batches++;
      deps.texts.push(...texts);
      return texts.map(vectorOf);
    },
    countTokens: opts.countTokens ?? approximateTokens,
    chunkTokens: 120,
    concurrency: 1,
  };
  return deps;
}

function manyFiles(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`src/f${i}.ts`] = `export function step${i}(x: number): number {\n  return x * ${i};\n}\n`;
  return files;
}

/** Every chunk has a vector, and it is the embedding of the text its hash names. */
function assertVectorsMatchTexts(store: IndexStore, texts: Iterable<string>): void {
  const byHash = new Map([...texts].map((t) => [hashText(t), t]));
  assert.equal(store.pendingIds().length, 0, 'chunks left without a vector');
  for (const c of store.chunks.values()) {
    const text = byHash.get(c.hash);
    assert.ok(text !== undefined, `chunk ${c.path}:${c.startLine} was never embedded with its own text`);
    // Vectors committed after the last snapshot come back from the delta as half floats (error < 1e-3).
    const got = store.vectorOf(c.id)!;
    const want = vectorOf(text);
    assert.ok(got.length === want.length && got.every((x, i) => Math.abs(x - want[i]) < 1e-3), `chunk ${c.path}:${c.startLine} has another text's vector`);
  }
  assert.equal(store.checkIntegrity(), undefined);
}

test('checkpointMs 0 saves between rounds of batches (and never stalls); the default saves the keyword index, then the vectors once', async () => {
  // 100 chunks in batches of MAX_BATCH_ITEMS (one per call today).
  const batches = Math.ceil(100 / MAX_BATCH_ITEMS);
  // One more save in both: the keyword index is committed before embedding starts.
  for (const [checkpointMs, expectSaves] of [[0, batches + 1], [undefined, 2]] as const) {
    const folder = makeTree(manyFiles(100));
    const dir = makeTree({});
    try {
      const store = IndexStore.create(dir, folder, MODEL);
      const deps = fakeDeps();
      // Without embedding while chunking: every chunk goes through the waves and their checkpoints.
      const s = await updateIndex(store, folder, deps, { maxFileBytes: 1 << 20, logger: silentLogger, checkpointMs, streamEmbedding: false });
      assert.equal(s.embedded, 100);
      assert.equal(deps.batches, batches, `100 chunks in batches of ${MAX_BATCH_ITEMS}`);
      // With checkpointMs 0: the keyword commit, a save after each batch but the last (concurrency 1), then the final one.
      assert.equal(store.generationNumber, expectSaves, `checkpointMs ${checkpointMs}`);
      assertVectorsMatchTexts(store, deps.texts);
      assert.equal((await IndexStore.open(dir)).vectorIds.size, 100);
    } finally {
      removeTree(folder);
      removeTree(dir);
    }
  }
});

test('the keyword index is committed before embedding starts: a run that dies at its first embedding leaves every chunk searchable by keywords', async () => {
  const folder = makeTree(manyFiles(20));
  const dir = makeTree({});
  try {
    await assert.rejects(updateIndex(IndexStore.create(dir, folder, MODEL), folder, fakeDeps({ failAfterBatches: 0 }), { maxFileBytes: 1 << 20, logger: silentLogger }), /simulated crash/);
    const reader = await IndexStore.open(dir, { readOnly: true });
    assert.equal(reader.chunks.size, 20);
    assert.equal(reader.vectorIds.size, 0);
    assert.equal(reader.lexical.search('step7', 1).length, 1);
    await reader.close();
  } finally {
    removeTree(folder);
    removeTree(dir);
  }
});

test('embedding starts with the first file chunked (open files first), not after the last; every vector is its own text’s', async () => {
  const folder = makeTree(manyFiles(100));
  const dir = makeTree({});
  try {
    let chunked = 0;
    const deps = fakeDeps();
    const calls: { text: string; chunkedBefore: number }[] = [];
    const embed = deps.embedPassages!.bind(deps);
    deps.embedPassages = (texts: string[]) => {
      calls.push({ text: texts[0], chunkedBefore: chunked });
      return embed(texts);
    };
    const store = IndexStore.create(dir, folder, MODEL);
    const s = await updateIndex(store, folder, deps, {
      maxFileBytes: 1 << 20,
      logger: silentLogger,
      priority: new Set(['src/f57.ts']),
      onProgress: (p) => {
        if (p.phase === 'chunking') chunked = p.done;
      },
    });
    assert.equal(s.embedded, 100);
    assert.match(calls[0].text, /step57\b/, 'the open file first');
    assert.equal(calls[0].chunkedBefore, 0, 'the first call is made while the first file is being chunked');
    assertVectorsMatchTexts(store, deps.texts);
  } finally {
    removeTree(folder);
    removeTree(dir);
  }
});

test('a run that dies while embedding leaves a consistent checkpoint; the next run embeds only the rest', async () => {
  const folder = makeTree(manyFiles(100));
  const dir = makeTree({});
  try {
    const crashed = fakeDeps({ failAfterBatches: 2 });
    await assert.rejects(updateIndex(IndexStore.create(dir, folder, MODEL), folder, crashed, { maxFileBytes: 1 << 20, logger: silentLogger, checkpointMs: 0 }), /simulated crash/);
    const checkpoint = await IndexStore.open(dir);
    assert.equal(checkpoint.checkIntegrity(), undefined);
    assert.equal(checkpoint.chunks.size, 100, 'all chunks are in the checkpoint (searchable by keywords)');
    assert.equal(checkpoint.vectorIds.size, 2 * MAX_BATCH_ITEMS, 'with the vectors of the two batches done');
    assert.equal(checkpoint.lexical.search('step42', 1).length, 1);

    const resumed = fakeDeps();
    const s = await updateIndex(checkpoint, folder, resumed, { maxFileBytes: 1 << 20, logger: silentLogger });
    assert.equal(s.embedded, 100 - 2 * MAX_BATCH_ITEMS);
    assertVectorsMatchTexts(checkpoint, [...crashed.texts, ...resumed.texts]);
  } finally {
    removeTree(folder);
    removeTree(dir);
  }
});

test('resuming pending pieces of a very long line embeds each piece, not the whole line', async () => {
  // A minified-style file: one line far over the token budget is cut into pieces on one line number.
  const long = Array.from({ length: 400 }, (_, i) => `var a${i}=function(b){return b*${i}+"${'x'.repeat(i % 7)}"};`).join('');
  const folder = makeTree({ 'lib/bundle.js': long, 'src/a.ts': 'export const a = 1;\n' });
  const dir = makeTree({});
  try {
    // First run without a model: chunks are indexed for keywords only and saved pending.
    const store = IndexStore.create(dir, folder, MODEL);
    const lexicalOnly = { countTokens: approximateTokens, chunkTokens: 120, concurrency: 1 };
    const s1 = await updateIndex(store, folder, lexicalOnly, { maxFileBytes: 1 << 20, logger: silentLogger });
    assert.equal(s1.embedded, 0);
    const pieces = [...store.chunks.values()].filter((c) => c.path === 'lib/bundle.js');
    assert.ok(pieces.length > 3 && pieces.every((c) => c.startLine === 1), `pieces: ${pieces.length}`);
    const reopened = await IndexStore.open(dir);
    assert.equal(reopened.pendingIds().length, reopened.chunks.size);

    // With the same token counter the pieces are found again by re-chunking.
    const same = fakeDeps();
    await updateIndex(reopened, folder, same, { maxFileBytes: 1 << 20, logger: silentLogger });
    assertVectorsMatchTexts(reopened, same.texts);
    assert.ok(!same.texts.includes(long), 'the whole line was never embedded as one chunk');
  } finally {
    removeTree(folder);
    removeTree(dir);
  }
});

test('pending chunks cut with another token counter (indexed before the model was there) are re-cut and embedded', async () => {
  const long = Array.from({ length: 300 }, (_, i) => `f${i}(${i});`).join(' ');
  const folder = makeTree({ 'lib/bundle.js': long });
  const dir = makeTree({});
  try {
    const store = IndexStore.create(dir, folder, MODEL);
    await updateIndex(store, folder, { countTokens: approximateTokens, chunkTokens: 120, concurrency: 1 }, { maxFileBytes: 1 << 20, logger: silentLogger });
    const before = [...store.chunks.values()].map((c) => c.hash);
    // The "real" tokenizer counts differently: the old pieces cannot be found by re-chunking.
    const deps = fakeDeps({ countTokens: (t) => Math.ceil(t.length / 2) });
    await updateIndex(store, folder, deps, { maxFileBytes: 1 << 20, logger: silentLogger });
    assert.notDeepEqual([...store.chunks.values()].map((c) => c.hash), before);
    assertVectorsMatchTexts(store, deps.texts);
    writeTree(folder, { 'lib/bundle.js': `${long} g();` });
    await updateIndex(store, folder, deps, { maxFileBytes: 1 << 20, logger: silentLogger });
    assertVectorsMatchTexts(store, deps.texts);
    assert.equal(path.basename([...store.files.keys()][0]), 'bundle.js');
  } finally {
    removeTree(folder);
    removeTree(dir);
  }
});
