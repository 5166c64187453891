/**
 * The vector graph while a snapshot is written: changes wait in a queue, and reads see them (a chunk deleted
 * meanwhile has no vector, one added meanwhile has its own).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VectorGraph } from '../../src/core/index/graph';
import { removeTree } from '../helpers/fixtures';

test('while a write runs, a queued deletion hides the vector and a queued addition shows it; both apply after', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kindred-graph-'));
  try {
    const g = new VectorGraph(2, 16);
    g.add(1, new Float32Array([1, 0]));
    const writing = g.write(dir, 'vectors.1.hnsw');
    g.delete(1);
    g.add(2, new Float32Array([0, 1]));
    assert.equal(g.get(1), undefined);
    assert.equal(g.has(1), false);
    assert.deepEqual(g.get(2), new Float32Array([0, 1]));
    assert.equal(g.has(2), true);
    await writing;
    assert.equal(g.get(1), undefined);
    assert.deepEqual(g.get(2), new Float32Array([0, 1]));
  } finally {
    removeTree(dir);
  }
});
