/**
 * The indexer embeds one text per call, so a chunk's stored vector is the embedding of its text alone,
 * whatever else was being indexed (int8 activations are quantized per call: inside a batch the same text
 * embedded up to cosine 0.968 apart, so reused vectors were not reproducible).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { recordEmbeddingText } from '../../src/core/chunking/embedText';
import { fileSummary } from '../../src/core/chunking/fileSummary';
import { lengthBatches } from '../../src/core/embedding/batching';
import { Engine } from '../../src/core/engine';
import { removeTree, copyWorkspaceFixture } from '../helpers/fixtures';

let tmp: string;
let engine: Engine;

before(async () => {
  let folder: string;
  let indexDir: string;
  ({ tmp, folder, indexDir } = copyWorkspaceFixture('kindred-determinism-'));
  engine = await Engine.open({ folder, indexDir, threads: 1 });
  await engine.update();
});

after(async () => {
  await engine?.close();
  removeTree(tmp);
});

test('batches hold one text each', () => {
  assert.deepEqual(lengthBatches(['a', 'bb', 'ccc'], (t) => t.length).map((b) => b.length), [1, 1, 1]);
});

test('every stored vector equals its text embedded alone (cosine >= 0.9999)', async () => {
  const runtime = engine.runtime!;
  let checked = 0;
  for (const c of engine.index.chunks.values()) {
    const stored = engine.index.vectorOf(c.id);
    assert.ok(stored, `chunk ${c.path}:${c.startLine} has a vector`);
    const source = readFileSync(path.join(engine.folder, c.path), 'utf8');
    const text = recordEmbeddingText(c.path, c, source.split(/\r?\n/), fileSummary(c.path, source));
    const [alone] = await runtime.embedPassages([text]);
    let dot = 0;
    for (let i = 0; i < alone.length; i++) dot += alone[i] * stored[i];
    // Stored vectors may come back from the half-float delta (store.ts): 1e-4 is its rounding, not a batch effect.
    assert.ok(dot >= 0.9999, `${c.path}:${c.startLine}: cosine ${dot}`);
    checked++;
  }
  assert.ok(checked >= 10, `${checked} chunks checked`);
});
