/**
 * Adapt Search to This Workspace on the engine's side (issue 15, item 4): the service's `adapt` request on a
 * generated workspace (real default model, one thread), cancellation between training batches leaving no
 * adapter file, `setAdapter` switching what search uses without re-embedding, and the count of files
 * changed since training that makes the editor offer to adapt again.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADAPTER_FORMAT, adapterPath, loadAdapter, QueryAdapter } from '../../src/core/adapt/adapter';
import { fingerprintFiles } from '../../src/core/adapt/drift';
import { MIN_TRAIN_PAIRS } from '../../src/core/adapt/run';
import type { Engine } from '../../src/core/engine';
import { defaultModelsDir } from '../../src/core/paths';
import type { AdaptOutcome, EngineStatus, EventMessage, WorkspaceHit } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

const VERBS = ['parse', 'format', 'validate', 'merge', 'sort', 'encode', 'decode', 'compress', 'download', 'render', 'schedule', 'retry'];
const NOUNS = ['invoice', 'timestamp', 'password', 'playlist', 'coordinate', 'thumbnail', 'shopping cart', 'email address', 'log line', 'temperature'];
const WHY = ['before saving it', 'for the report page', 'so the cache stays small', 'when the user asks', 'for the nightly job'];

/** 30 files of 4 documented functions each, every name and comment different: well over MIN_TRAIN_PAIRS pairs. */
function generatedWorkspace(): Record<string, string> {
  const files: Record<string, string> = {};
  let n = 0;
  for (let f = 0; f < 30; f++) {
    const lines: string[] = [];
    for (let k = 0; k < 4; k++, n++) {
      const verb = VERBS[n % VERBS.length];
      const noun = NOUNS[Math.floor(n / VERBS.length) % NOUNS.length];
      const name = `${verb}${noun.replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}${f}`;
      lines.push(
        `/** ${verb[0].toUpperCase()}${verb.slice(1)}s the ${noun} ${WHY[(n + f) % WHY.length]} (variant ${f}). */`,
        `export function ${name}(input: string, limit = ${n + 2}): string {`,
        `  const parts = input.split('${String.fromCharCode(97 + (n % 26))}').slice(0, limit);`,
        `  return parts.map((p) => p.trim()).join('-${noun.split(' ')[0]}-');`,
        '}',
        '',
      );
    }
    files[`ws/src/module${f}.ts`] = lines.join('\n');
  }
  return files;
}

let root: string;
let tmp: string;
let ws: string;
let service: EngineService;
const events: EventMessage[] = [];
/** Called with each event as the engine emits it. */
let onEvent: ((e: EventMessage) => void) | undefined;

before(async () => {
  root = makeTree(generatedWorkspace());
  ws = path.join(root, 'ws');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-adapt-service-'));
  // Vectors mined for training are cached: in this test's own folder, not the user's cache (the models stay where they are).
  process.env.KINDRED_MODELS_DIR ??= defaultModelsDir();
  process.env.KINDRED_CACHE_DIR = path.join(tmp, 'cache');
  service = new EngineService((e) => {
    events.push(e);
    onEvent?.(e);
  });
  await service.handle('configure', testEngineConfig(ws, 'ws', path.join(tmp, 'indexes')));
  await service.handle('flush', {});
});

after(async () => {
  await service?.dispose();
  delete process.env.KINDRED_CACHE_DIR;
  removeTree(root);
  removeTree(tmp);
});

const engine = (): Engine => service.engineFor(ws)!;
const fileOf = (): string => {
  const m = engine().index.model;
  return adapterPath(engine().indexDir, { model: m.id, dtype: m.dtype, dims: m.dims });
};
/** −I, written as a training run would install it: vector search then ranks the least similar chunks first. */
function negatedAdapter(): QueryAdapter {
  const m = engine().index.model;
  const w = new Float32Array(m.dims * m.dims);
  for (let i = 0; i < m.dims; i++) w[i * m.dims + i] = -1;
  return new QueryAdapter({ format: ADAPTER_FORMAT, model: m.id, dtype: m.dtype, dims: m.dims, enabled: true, createdAt: new Date(0).toISOString() }, w);
}
const progressOf = (phase: string): number[] => events.flatMap((e) => (e.event === 'adaptProgress' && e.phase === phase ? [e.done] : []));

test('cancelled while training: stops after the batch that saw the cancel, writes no adapter file, search unchanged', async () => {
  events.length = 0;
  const ac = new AbortController();
  let epochsAtCancel = -1;
  // Cancelled from a later turn of the event loop, as a `cancel` message arrives: seen only if training yields.
  onEvent = (e) => {
    if (e.event === 'adaptProgress' && e.phase === 'training' && epochsAtCancel < 0) {
      epochsAtCancel = e.done;
      setImmediate(() => ac.abort());
    }
  };
  try {
    await assert.rejects(service.handle('adapt', { folder: 0 }, ac.signal), (e: Error) => e.name === 'AbortError');
  } finally {
    onEvent = undefined;
  }
  assert.equal(epochsAtCancel, 1);
  assert.deepEqual(progressOf('training'), [1], 'no epoch after the cancel: training gives the event loop a turn between batches');
  assert.ok(progressOf('mining').length > 0 && progressOf('embedding').length > 0);
  assert.equal(existsSync(fileOf()), false, 'a cancelled run writes nothing');
  assert.deepEqual((await fs.readdir(engine().indexDir)).filter((n) => n.includes('adapter')), []);
  assert.equal(engine().adapterActive, false);
  const s = (await service.handle('status', {})) as EngineStatus;
  assert.equal(s.folders[0].adapter, undefined);
});

test('adapt: pairs split by file, before/after on held-out pairs, stored but kept off without the CoSQA check, and status says why', async () => {
  events.length = 0;
  const o = (await service.handle('adapt', { folder: 0 })) as AdaptOutcome;
  assert.equal(o.name, 'ws');
  assert.equal(o.declined, undefined);
  const r = o.report!;
  assert.equal(r.pairs, r.train + r.validation + r.heldOut);
  assert.ok(r.train >= MIN_TRAIN_PAIRS && r.heldOut > 0, JSON.stringify(r));
  assert.ok(r.kinds.doc >= 100, JSON.stringify(r.kinds));
  for (const s of [r.before, r.after]) assert.ok(s.MRR > 0 && s.MRR <= 1 && s['R@10'] >= s.MRR - 1e-9, JSON.stringify(s));
  assert.ok(r.epochs >= 1);
  assert.equal(r.cosqa, undefined);
  assert.equal(r.enabled, false);
  assert.match(r.reason!, /CoSQA|no training epoch|below/);
  assert.ok(progressOf('training').length >= 1);
  // Stored beside the index, off, with the files it was trained on; search does not use it.
  const stored = await loadAdapter(engine().indexDir, { model: r.model, dtype: r.dtype, dims: engine().index.model.dims });
  assert.equal(r.file, fileOf());
  assert.equal(stored?.enabled, false);
  assert.equal(Object.keys(stored!.header.trainedOn ?? {}).length, 30);
  assert.equal(engine().adapterActive, false);
  assert.deepEqual(o.adapter && { active: o.adapter.active, reason: o.adapter.reason, changed: o.adapter.changedFiles }, { active: false, reason: r.reason, changed: 0 });
  const s = (await service.handle('status', {})) as EngineStatus;
  assert.equal(s.folders[0].adapter?.active, false);
  assert.equal(s.folders[0].adapter?.heldOut?.after.MRR, r.after.MRR);
  // One adapter that its measurement kept off cannot be turned on by hand.
  await assert.rejects(service.handle('setAdapter', { folder: 0, enabled: true }), /stays off/);
});

test('setAdapter: an adapter that is on changes search at once; turned off, search is as before, the file is kept; on again', async () => {
  const query = 'check that a password is valid';
  const top = async (): Promise<string[]> => ((await service.handle('search', { query, k: 5, mode: 'vector' })) as WorkspaceHit[]).map((h) => `${h.path}:${h.startLine}`);
  const m = engine().index.model;
  await fs.rm(fileOf(), { force: true });
  await engine().reloadAdapter();
  const plain = await top();
  await engine().installAdapter(negatedAdapter());
  const adapted = await top();
  assert.notDeepEqual(adapted, plain, 'an installed adapter that is on applies to the next search');

  const off = await service.handle('setAdapter', { folder: 0, enabled: false });
  assert.equal(off.active, false);
  assert.equal(off.turnedOff, true);
  assert.deepEqual(await top(), plain, 'off: search is as it was');
  assert.equal((await loadAdapter(engine().indexDir, { model: m.id, dtype: m.dtype, dims: m.dims }))?.header.turnedOff, true, 'the file is kept, marked off');
  assert.equal(((await service.handle('status', {})) as EngineStatus).folders[0].adapter?.active, false);

  const on = await service.handle('setAdapter', { folder: 0, enabled: true });
  assert.equal(on.active, true);
  assert.deepEqual(await top(), adapted);
  await service.handle('setAdapter', { folder: 0, enabled: false });
});

test('files changed since training are counted after each update; past 20% adapting again is suggested (only for an adapter that is on)', async () => {
  const m = engine().index.model;
  const trainedOn = fingerprintFiles(engine().index.files.values());
  assert.equal(Object.keys(trainedOn).length, 30);
  await engine().installAdapter(
    new QueryAdapter({ format: ADAPTER_FORMAT, model: m.id, dtype: m.dtype, dims: m.dims, enabled: true, createdAt: new Date(0).toISOString(), trainedOn }, new Float32Array(m.dims * m.dims).map((_, k) => (k % (m.dims + 1) === 0 ? 1 : 0))),
  );
  const state = async (): Promise<NonNullable<EngineStatus['folders'][number]['adapter']>> => {
    // A full scan, not the watcher: the count must not depend on when file events arrive.
    await service.handle('reindex', { full: true });
    await service.handle('flush', {});
    return ((await service.handle('status', {})) as EngineStatus).folders[0].adapter!;
  };
  // Edit 5 files, add 1: 6 of 30 changed (20% is 6): not yet… then remove one more: 7.
  for (let f = 0; f < 5; f++) await fs.appendFile(path.join(ws, `src/module${f}.ts`), `\nexport const edited${f} = ${f};\n`);
  let a = await state();
  assert.deepEqual([a.changedFiles, a.trainedFiles, a.retrainSuggested], [5, 30, false]);
  await fs.writeFile(path.join(ws, 'src/extra.ts'), 'export const extra = 1;\n');
  a = await state();
  assert.deepEqual([a.changedFiles, a.retrainSuggested], [6, true]);
  await fs.rm(path.join(ws, 'src/module29.ts'));
  a = await state();
  assert.deepEqual([a.changedFiles, a.retrainSuggested], [7, true]);
  // Turned off: nothing is offered however much changed.
  await service.handle('setAdapter', { folder: 0, enabled: false });
  a = ((await service.handle('status', {})) as EngineStatus).folders[0].adapter!;
  assert.deepEqual([a.active, a.changedFiles, a.retrainSuggested], [false, 7, false]);
});

test('several folders: each folder\'s adapter applies to its own vectors when the query is embedded once for all', async () => {
  const other = path.join(root, 'other');
  await fs.mkdir(path.join(other, 'src'), { recursive: true });
  await fs.writeFile(path.join(other, 'src/net.ts'), '/** Opens a socket to the server. */\nexport function openSocket(host: string): void {\n  void host;\n}\n');
  const config = testEngineConfig(ws, 'ws', path.join(tmp, 'indexes'));
  config.folders.push({ path: other, name: 'other' });
  await service.handle('configure', config);
  await service.handle('flush', {});
  const query = 'check that a password is valid';
  const wsTop = async (): Promise<string[]> =>
    ((await service.handle('search', { query, k: 40, mode: 'vector' })) as WorkspaceHit[]).filter((h) => h.folder === 0).slice(0, 5).map((h) => `${h.path}:${h.startLine}`);
  const plain = await wsTop();
  await service.engineFor(ws)!.installAdapter(negatedAdapter());
  assert.notDeepEqual(await wsTop(), plain, 'the adapter of ws applies in a multi-root search');
  await service.handle('setAdapter', { folder: 0, enabled: false });
  assert.deepEqual(await wsTop(), plain);
});

test('kindred adapt records the indexed files it was trained on (so the editor can offer to adapt again); --dry-run writes nothing', async () => {
  const { main } = await import('../../src/cli/main');
  const idx = path.join(tmp, 'cli-index');
  const quiet = process.stdout.write.bind(process.stdout);
  const errs = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await main(['index', ws, '--index-dir', idx, '--threads', '1']), 0);
    // No CoSQA data here: the adapter is measured and stored off, with the files it was trained on.
    assert.equal(await main(['adapt', ws, '--index-dir', idx, '--data', path.join(tmp, 'no-cosqa'), '--json', '--dry-run']), 0);
    assert.equal((await fs.readdir(idx)).filter((f) => f.endsWith('.kad')).length, 0);
    assert.equal(await main(['adapt', ws, '--index-dir', idx, '--data', path.join(tmp, 'no-cosqa'), '--json']), 0);
  } finally {
    process.stdout.write = quiet;
    process.stderr.write = errs;
  }
  const m = engine().index.model;
  const stored = await loadAdapter(idx, { model: m.id, dtype: m.dtype, dims: m.dims });
  assert.ok(stored);
  assert.deepEqual(stored.header.trainedOn, fingerprintFiles(engine().index.files.values()));
});
