import { after, before, mock, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { EngineStatus, EventMessage } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, TWO_FUNCTIONS, removeTree } from '../helpers/fixtures';

// The engine service's request handling: configuration is serialised (a burst of model switches
// ends in exactly one runtime and one engine per folder) and a failing update backs off.

let tmp: string;
let folder: string;

before(() => {
  tmp = makeTree(TWO_FUNCTIONS);
  folder = path.join(tmp, 'ws');
});

after(() => removeTree(tmp));

test('five model and precision switches sent at once end with one runtime, one engine per folder and a complete index', { timeout: 180_000 }, async () => {
  const events: EventMessage[] = [];
  const service = new EngineService((e) => events.push(e));
  const indexRoot = path.join(tmp, 'indexes-switch');
  try {
    // Sent without waiting, as settings events arrive: q8, fp32, q8, fp32, q8 ... ending on fp32.
    const dtypes = ['q8', 'fp32', 'q8', 'fp32', 'q8', 'fp32'] as const;
    const answers = await Promise.all(dtypes.map((dtype) => service.handle('configure', testEngineConfig(folder, 'ws', indexRoot, { dtype }))));
    for (const a of answers) assert.notEqual(a.state, 'error', JSON.stringify(a.error));
    const status = await service.handle('flush', {});
    assert.equal(status.folders.length, 1, `one engine for the one folder: ${JSON.stringify(status.folders)}`);
    assert.equal(EngineService.runtimesAlive, 1, 'every replaced model runtime was closed');
    assert.equal(service.engineFor(folder)!.index.model.dtype, 'fp32', 'the last configuration wins');
    assert.equal(status.folders[0].files, 2);
    assert.equal(status.folders[0].embedded, status.folders[0].chunks, 'complete index for the final model');
    const hits = await service.handle('search', { query: 'upload a file and retry', k: 1, mode: 'vector' });
    assert.equal(hits[0]?.path, 'src/upload.ts');
  } finally {
    await service.dispose();
  }
  assert.equal(EngineService.runtimesAlive, 0);
});

test('a failing update is retried with exponential backoff, not every 300 ms, and reported once', { timeout: 60_000 }, async () => {
  const events: EventMessage[] = [];
  const service = new EngineService((e) => events.push(e));
  const indexRoot = path.join(tmp, 'indexes-backoff');
  try {
    // No model (keyword search only) keeps this test fast; no index on startup: nothing pending.
    const st = await service.handle('configure', testEngineConfig(folder, 'ws', indexRoot, { modelsDir: path.join(tmp, 'no-models'), indexOnStartup: false }));
    assert.equal(st.state, 'idle', JSON.stringify(st));
    const engine = service.engineFor(folder)!;
    let attempts = 0;
    // A fail point: every update throws, as a bug or an I/O error would.
    engine.update = () => {
      attempts++;
      return Promise.reject(new Error('simulated failure'));
    };
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      await service.handle('reindex', { full: true });
      // Five simulated minutes, in 100 ms steps, letting promises settle after each.
      for (let t = 0; t < 5 * 60_000; t += 100) {
        mock.timers.tick(100);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      }
    } finally {
      mock.timers.reset();
    }
    // 2 s, 4 s, 8 s, ... 128 s between attempts: 8 attempts in five minutes (a loop would be ~1000).
    assert.ok(attempts >= 3 && attempts <= 9, `${attempts} attempts in five minutes`);
    assert.ok(service.retryInMs > 60_000, `next retry in ${service.retryInMs} ms`);
    const warnings = events.filter((e) => e.event === 'log' && e.level === 'warn' && e.message.includes('simulated failure'));
    assert.equal(warnings.length, 1, 'the failure is logged once, not per attempt');
    const status = await service.handle('status', {});
    assert.equal(status.error?.code, 'update-failed');
    assert.match(status.error?.message ?? '', /simulated failure/);
    assert.match(status.error?.fix ?? '', /retry/);
  } finally {
    await service.dispose();
  }
});

test('a search cancelled before it ends answers with an AbortError', async () => {
  const service = new EngineService(() => undefined);
  try {
    await service.handle('configure', testEngineConfig(folder, 'ws', path.join(tmp, 'indexes-cancel'), { modelsDir: path.join(tmp, 'no-models') }));
    await service.handle('flush', {});
    const ac = new AbortController();
    const pending = service.handle('search', { query: 'uploadWithRetry', k: 5, mode: 'bm25' }, ac.signal);
    ac.abort();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    const hits = await service.handle('search', { query: 'uploadWithRetry', k: 5, mode: 'bm25' });
    assert.equal(hits[0]?.path, 'src/upload.ts', 'the next search answers');
  } finally {
    await service.dispose();
  }
});

test('state-changing requests run one at a time, in order', async () => {
  const service = new EngineService(() => undefined);
  try {
    const config = testEngineConfig(folder, 'ws', path.join(tmp, 'indexes-order'), { modelsDir: path.join(tmp, 'no-models') });
    const order: string[] = [];
    const track = <T>(name: string, p: Promise<T>): Promise<T> => p.then((v) => (order.push(name), v));
    const results = await Promise.all([
      track('configure', service.handle('configure', config)),
      track('pause', service.handle('setPaused', { paused: true })),
      track('resume', service.handle('setPaused', { paused: false })),
      track('flush', service.handle('flush', {})),
    ]);
    assert.deepEqual(order, ['configure', 'pause', 'resume', 'flush']);
    assert.equal((results[1] as EngineStatus).state, 'paused');
    assert.equal((results[3] as EngineStatus).folders[0].files, 2, 'flush ran after the configuration it follows');
  } finally {
    await service.dispose();
  }
});
