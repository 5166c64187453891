import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { EngineStatus } from '../../src/shared/engineProtocol';
import { FirstBuildNotices } from '../../src/shared/firstBuild';

function status(over: Partial<EngineStatus> & { embedded?: number; chunks?: number } = {}): EngineStatus {
  const { embedded = 0, chunks = 3000, ...rest } = over;
  return { state: 'idle', model: 'Xenova/all-MiniLM-L6-v2', dims: 384, folders: [{ path: '/w/app', name: 'app', files: 210, chunks, embedded, bytesOnDisk: 1 }], ...rest };
}

function embedding(done: number, extra: { etaSeconds?: number; perSecond?: number; total?: number } = {}): EngineStatus {
  return status({ state: 'indexing', embedded: done, progress: { phase: 'embedding', done, total: extra.total ?? 3000, folder: 'app', ...extra } });
}

test('a first build says when keyword search is ready (once the time left is known) and when search by meaning is complete', () => {
  const n = new FirstBuildNotices();
  assert.deepEqual(n.observe(status({ state: 'indexing', progress: { phase: 'chunking', done: 100, total: 210, folder: 'app' } }), 0), []);
  assert.deepEqual(n.observe(embedding(0), 1000), [], 'no rate yet');
  assert.deepEqual(n.observe(embedding(300, { etaSeconds: 27, perSecond: 100 }), 4000), [
    'Kindred: keyword search is ready in app (210 files). Search by meaning follows as 3,000 chunks are embedded at 100 chunks/s: about 0:27 left.',
  ]);
  assert.deepEqual(n.observe(embedding(1500, { etaSeconds: 15, perSecond: 100 }), 16_000), [], 'told once');
  assert.deepEqual(n.observe(status({ state: 'indexing', embedded: 3000, progress: { phase: 'saving', done: 0, total: 1, folder: 'app' } }), 31_000), []);
  assert.deepEqual(n.observe(status({ embedded: 3000 }), 32_000), ['Kindred: search by meaning is ready in app: 3,000 chunks embedded in 0:31.']);
  assert.deepEqual(n.observe(status({ embedded: 3000 }), 33_000), []);
});

test('no notices for small or incremental updates, nor "ready" for a build that stopped early', () => {
  const small = new FirstBuildNotices();
  assert.deepEqual(small.observe(status({ state: 'indexing', chunks: 400, progress: { phase: 'embedding', done: 10, total: 400, folder: 'app', etaSeconds: 4 } }), 0), []);
  const incremental = new FirstBuildNotices();
  assert.deepEqual(incremental.observe(status({ state: 'indexing', chunks: 50_000, embedded: 49_000, progress: { phase: 'embedding', done: 10, total: 1000, folder: 'app', etaSeconds: 10 } }), 0), []);
  const paused = new FirstBuildNotices();
  assert.equal(paused.observe(embedding(300, { etaSeconds: 27 }), 0).length, 1);
  assert.deepEqual(paused.observe(status({ state: 'paused', embedded: 900 }), 9000), [], 'paused: not complete, nothing claimed');
});

test('a first build counts even when some chunks were embedded while the files were being chunked', () => {
  const n = new FirstBuildNotices();
  const streamed = status({ state: 'indexing', embedded: 1200, progress: { phase: 'embedding', done: 100, total: 1800, folder: 'app', etaSeconds: 20, perSecond: 90 } });
  assert.equal(n.observe(streamed, 0).length, 1);
});
