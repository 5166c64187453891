import { once } from 'node:events';
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EmbeddingPool } from '../../src/core/embedding/pool';
import { defaultModelsDir } from '../../src/core/paths';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';

// The embedding pool outlives its workers: a worker that dies mid-batch is replaced, its batches
// are sent to another worker, nothing hangs, and the load counters return to zero.
// A worker is killed with the `die` message (exit code 1 at its next safe point, every batch it holds
// lost): Worker.terminate() during an onnxruntime call can abort the whole process (Napi::Error).

/** Kills the first worker as a crash would, and waits until the pool has seen it exit. */
async function killFirstWorker(): Promise<void> {
  const w = pool.threads[0];
  const exited = once(w, 'exit');
  w.postMessage({ type: 'die' });
  await exited;
}

let pool: EmbeddingPool;
const texts = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `function ${tag}${i}(x) { return x * ${i}; }`);

before(async () => {
  pool = await EmbeddingPool.start({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 2);
});

after(async () => {
  await pool?.close();
});

test('a worker killed with batches in flight: the batches complete on another worker, the worker is replaced, load is exact', { timeout: 120_000 }, async () => {
  assert.equal(pool.workers, 2);
  const expected = await pool.embed(texts(6, 'a'));
  assert.equal(pool.load, 0);
  // Four batches: two land on each worker; then the first worker is ended abruptly.
  const inflight = [pool.embed(texts(6, 'a')), pool.embed(texts(6, 'b')), pool.embed(texts(6, 'c')), pool.embed(texts(6, 'd'))];
  assert.ok(pool.load > 0);
  await killFirstWorker();
  const results = await Promise.all(inflight);
  assert.equal(results.length, 4);
  for (const r of results) assert.equal(r.length, 6);
  results[0].forEach((v, i) => assert.ok(Math.abs(v[0] - expected[i][0]) < 1e-4 && Math.abs(v[100] - expected[i][100]) < 1e-4, 'same vectors after the retry'));
  assert.equal(pool.load, 0, 'load counters back to zero');
  assert.equal(pool.workers, 2, 'the dead worker was replaced');
  // The pool still works, including on the replacement.
  const again = await Promise.all([pool.embed(texts(3, 'e')), pool.embed(texts(3, 'f')), pool.embed(texts(3, 'g'))]);
  assert.deepEqual(again.map((r) => r.length), [3, 3, 3]);
  assert.equal(pool.load, 0);
});

test('a batch whose worker dies twice fails with a plain error instead of hanging', { timeout: 120_000 }, async () => {
  // Both workers are set to die when their next batch arrives. The batch goes to the least busy worker,
  // the first; it dies, the batch moves to the least busy of the rest (again the first in the list:
  // replacements are added at the end), which dies too.
  for (const w of pool.threads.slice(0, 2)) w.postMessage({ type: 'die', onNextBatch: true });
  const job = pool.embed(texts(4, 'h'));
  await assert.rejects(job, /embedding worker stopped/i);
  // Both replacements finish loading before the pool is closed: a worker ended while onnxruntime is
  // still creating its session can abort the process.
  assert.deepEqual((await Promise.all([pool.embed(texts(1, 'x')), pool.embed(texts(1, 'y'))])).map((r) => r.length), [1, 1]);
  assert.equal(pool.load, 0);
});
