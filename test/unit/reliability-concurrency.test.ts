import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndexStore } from '../../src/core/index/store';
import type { EngineStatus, EventMessage } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { runCli, startCli } from '../helpers/cli';
import { testEngineConfig } from '../helpers/engineConfig';
import { removeTree } from '../helpers/fixtures';
import { diffIndex, groundTruth } from '../helpers/truth';

// Two writers on one index: two CLI processes, a search while another process indexes, and two
// extension windows (two EngineService instances) on the same folder. The write lock lets one write
// at a time; the other says so plainly (or reads the index as it is); the index always ends valid.

let tmp: string;
let folder: string;

function source(i: number, rev = 0): string {
  return `/** Part ${i} of the ledger (revision ${rev}). */\nexport function ledgerEntry${i}(amount: number): number {\n  return amount * ${i} + ${rev};\n}\n`;
}

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-concurrency-'));
  folder = path.join(tmp, 'ws');
  for (let i = 0; i < 400; i++) {
    mkdirSync(path.join(folder, `part${i % 10}`), { recursive: true });
    writeFileSync(path.join(folder, `part${i % 10}`, `entry${i}.ts`), source(i));
  }
});

after(() => removeTree(tmp));

/** The default model's index under an index root (indexes are per model + precision). */
const storeDir = (indexDir: string): string => path.join(indexDir, 'Xenova_all-MiniLM-L6-v2.q8');

async function assertMatchesFolder(indexDir: string): Promise<IndexStore> {
  const store = await IndexStore.open(storeDir(indexDir), { readOnly: true });
  assert.equal(store.checkIntegrity(), undefined);
  assert.deepEqual(diffIndex(store, await groundTruth(folder)), { missing: [], extra: [], stale: [] });
  assert.equal(store.pendingIds().length, 0);
  return store;
}

/** Resolves once the lock file exists (the first process is writing). */
async function lockTaken(indexDir: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!existsSync(path.join(storeDir(indexDir), 'lock'))) {
    if (Date.now() - start > timeoutMs) throw new Error('the first process never took the lock');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `fn` while `child` is stopped (SIGSTOP): it keeps its lock, alive, doing nothing. */
async function whileStopped<T>(child: ChildProcess, fn: () => Promise<T>): Promise<T> {
  child.kill('SIGSTOP');
  try {
    return await fn();
  } finally {
    child.kill('SIGCONT');
  }
}

test('a second `index` on a locked index exits 1 saying another process is updating it; the index ends valid', async () => {
  const indexDir = path.join(tmp, 'idx-cli');
  const args = ['index', folder, '--index-dir', indexDir, '--json', '--threads', '1'];
  const first = startCli(args);
  await lockTaken(indexDir);
  // The first process is held still while it owns the lock, so the second always finds it taken,
  // however fast the first would otherwise finish (no race on which one loads its model first).
  const second = await whileStopped(first.child, () => runCli(args));
  const one = await first.done;
  assert.equal(one.code, 0, one.stderr);
  assert.equal(second.code, 1, `the second run was not refused: ${second.stderr}`);
  assert.match(second.stderr, /^kindred: Another Kindred process \(pid \d+\) is updating the index in .+\. Wait for it to finish/m);
  assert.ok(!/\n\s+at /.test(second.stderr), `no stack trace: ${second.stderr}`);
  assert.equal(second.stdout, '');
  await assertMatchesFolder(indexDir);
  assert.ok(!existsSync(path.join(storeDir(indexDir), 'lock')), 'the lock is released');
});

test('two `index` runs started together: each succeeds or is refused plainly, and the index ends valid', async () => {
  const indexDir = path.join(tmp, 'idx-race');
  const args = ['index', folder, '--index-dir', indexDir, '--json', '--threads', '1'];
  const results = await Promise.all([runCli(args), runCli(args)]);
  for (const r of results) {
    assert.ok(r.code === 0 || (r.code === 1 && /is updating the index/.test(r.stderr)), `exit ${r.code}: ${r.stderr}`);
  }
  assert.ok(results.some((r) => r.code === 0));
  await assertMatchesFolder(indexDir);
});

test('`search` while another process indexes falls back to the index as it is, with a warning', async () => {
  const indexDir = path.join(tmp, 'idx-cli');
  // Change many files so the next index run holds the lock for a while.
  for (let i = 0; i < 400; i += 2) writeFileSync(path.join(folder, `part${i % 10}`, `entry${i}.ts`), source(i, 1));
  const indexing = startCli(['index', folder, '--index-dir', indexDir, '--json', '--threads', '1']);
  await lockTaken(indexDir);
  const search = await whileStopped(indexing.child, () => runCli(['search', folder, 'ledgerEntry7', '--index-dir', indexDir, '--json', '--mode', 'bm25', '--threads', '1']));
  const done = await indexing.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stderr, /warning: Another Kindred process \(pid \d+\) is updating the index .* Searching the index as it is\./);
  const { results } = JSON.parse(search.stdout) as { results: { path: string }[] };
  assert.equal(results[0]?.path, 'part7/entry7.ts', 'answered from the previous generation');
  await assertMatchesFolder(indexDir);
});

test('two windows (two engine services) on one folder and one index: both converge and answer', { timeout: 120_000 }, async () => {
  const indexRoot = path.join(tmp, 'indexes-two-windows');
  const events: EventMessage[][] = [[], []];
  const services = [0, 1].map((i) => new EngineService((e) => events[i].push(e)));
  const config = testEngineConfig(folder, 'ws', indexRoot);
  try {
    const statuses = (await Promise.all(services.map((s) => s.handle('configure', config)))) as EngineStatus[];
    for (const st of statuses) assert.notEqual(st.state, 'error', JSON.stringify(st.error));
    await Promise.all(services.map((s) => s.handle('flush', {})));
    const indexDir = services[0].engineFor(folder)!.indexDir;
    assert.equal(services[1].engineFor(folder)!.indexDir, indexDir, 'one index for both windows');
    await assertMatchesFolder(indexDir);

    // An edit seen by both watchers: one window writes it, the other catches up from disk.
    writeFileSync(path.join(folder, 'part3', 'entry3.ts'), `${source(3, 2)}export const settlementWindow = 'quarterly';\n`);
    writeFileSync(path.join(folder, 'part5', 'fresh.ts'), 'export function reconcileAccounts(): void {}\n');
    for (let attempt = 0; ; attempt++) {
      await new Promise((r) => setTimeout(r, 400)); // watcher latency
      const st = (await Promise.all(services.map((s) => s.handle('flush', {})))) as EngineStatus[];
      const answers = await Promise.all(services.map((s) => s.handle('search', { query: 'reconcileAccounts settlementWindow', k: 5, mode: 'bm25' })));
      const ok = answers.every((hits) => ['part5/fresh.ts', 'part3/entry3.ts'].every((p) => hits.some((h) => h.path === p)));
      if (ok && st.every((x) => x.state === 'idle')) break;
      assert.ok(attempt < 60, `windows did not converge: ${JSON.stringify(st.map((x) => [x.state, x.error]))}`);
    }
    await assertMatchesFolder(indexDir);
    const locked = events.flat().filter((e) => e.event === 'status' && e.status.state === 'readonly');
    const warnings = events.flat().filter((e) => e.event === 'log' && e.level === 'warn');
    assert.deepEqual(warnings, [], 'being locked out by the other window is not a failure');
    console.log(JSON.stringify({ twoWindows: { readonlyStatusEvents: locked.length } }));
  } finally {
    await Promise.all(services.map((s) => s.dispose()));
  }
});
