import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineConnection, type EngineRequestError } from '../../src/extension/engineConnection';
import type { EngineStatus, EventMessage } from '../../src/shared/engineProtocol';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, TWO_FUNCTIONS, removeTree } from '../helpers/fixtures';

// The engine in its own process, as the extension runs it: requests, cancellation, a lower CPU
// priority, and a restart after the process is killed (SIGKILL) that brings search back.

const SCRIPT = path.resolve(__dirname, '..', '..', 'src', 'worker', 'engineProcess.js');
let tmp: string;
let folder: string;

before(() => {
  tmp = makeTree(TWO_FUNCTIONS);
  folder = path.join(tmp, 'ws');
});

after(() => removeTree(tmp));

function connect(events: EventMessage[], restarts: { n: number; wake?: () => void }): EngineConnection {
  return new EngineConnection({
    script: SCRIPT,
    onEvent: (e) => events.push(e),
    onRestart: () => {
      restarts.n++;
      restarts.wake?.();
    },
    onLog: () => undefined,
  });
}

test('the engine process answers, cancels, runs below normal priority, and comes back after SIGKILL', { timeout: 120_000 }, async () => {
  const events: EventMessage[] = [];
  const restarts: { n: number; wake?: () => void } = { n: 0 };
  const conn = connect(events, restarts);
  const config = testEngineConfig(folder, 'ws', path.join(tmp, 'indexes'), { modelsDir: path.join(tmp, 'no-models') });
  try {
    const st = await conn.request('configure', config);
    assert.equal(st.folders.length, 1, JSON.stringify(st));
    const flushed = await conn.request('flush', {});
    assert.equal(flushed.folders[0].files, 2);
    const pid = conn.pid!;
    assert.notEqual(pid, process.pid, 'a process of its own');
    assert.ok(os.getPriority(pid) >= Math.max(os.getPriority(), os.constants.priority.PRIORITY_BELOW_NORMAL), `nice ${os.getPriority(pid)}`);

    // Cancelled before the answer: rejects with `cancelled`, and the engine keeps answering.
    const ac = new AbortController();
    const cancelled = conn.request('search', { query: 'uploadWithRetry', k: 5, mode: 'bm25' }, ac.signal);
    ac.abort();
    await assert.rejects(cancelled, (e: EngineRequestError) => e.code === 'cancelled');
    const hits = await conn.request('search', { query: 'uploadWithRetry', k: 5, mode: 'bm25' });
    assert.equal(hits[0]?.path, 'src/upload.ts');

    // A crash: requests in flight fail with a plain message, a new process starts, and once it is
    // configured again search answers from the index on disk.
    const restarted = new Promise<void>((resolve) => (restarts.wake = resolve));
    const inflight = conn.request('flush', {});
    conn.kill();
    await assert.rejects(inflight, /The Kindred engine stopped \(signal SIGKILL\)/);
    await restarted;
    assert.equal(restarts.n, 1);
    assert.notEqual(conn.pid, pid, 'a new engine process');
    await conn.request('configure', config);
    const again = await conn.request('search', { query: 'uploadWithRetry', k: 5, mode: 'bm25' });
    assert.equal(again[0]?.path, 'src/upload.ts', 'search is back after the restart');
    const status = (await conn.request('status', {})) as EngineStatus;
    assert.equal(status.folders[0].files, 2);
  } finally {
    await conn.shutdown();
  }
  assert.equal(conn.alive, false, 'shut down');
});
