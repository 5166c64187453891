// Step (run in a fresh process): cold open of an index and memory when idle.
//   --mode engine  as the extension's worker does: load the model (ModelRuntime.start, default threads),
//                  open the index (Engine.open → IndexStore.open: SQLite quick_check, snapshot read + checksum, delta replay),
//                  answer a first hybrid query; then idle for a few seconds and read the RSS.
//   --mode store   IndexStore.open alone (no model; the model's index under --index-dir): open time and
//                  the RSS the index itself costs.
//
//   node --expose-gc bench/cold-open.mjs --folder DIR --index-dir DIR --mode engine|store
import * as path from 'node:path';
import { emit, loadavg, main, mb, MODEL_ID, DTYPE, parseArgs, round } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

main(async () => {
  const args = parseArgs();
  const folder = path.resolve(args.folder);
  const indexDir = path.resolve(args['index-dir']);
  const mode = args.mode ?? 'engine';
  const bootMs = performance.now(); // since the process started
  const rssBoot = process.memoryUsage.rss();
  let t = performance.now();
  const { core, modelSource } = await import('./lib.mjs');
  const { Engine } = core('core/engine');
  const { ModelRuntime } = core('core/embedding/runtime');
  const { IndexStore, modelDirName } = core('core/index/store');
  const { MODEL_KEY } = await import('./lib.mjs');
  const requireMs = performance.now() - t;
  const r = { step: 'cold-open', mode, bootMs: round(bootMs), requireMs: round(requireMs), rssBootMB: mb(rssBoot) };

  if (mode === 'store') {
    t = performance.now();
    const store = await IndexStore.open(path.join(indexDir, modelDirName(MODEL_KEY)), { readOnly: true });
    r.indexOpenMs = round(performance.now() - t);
    r.chunks = store.chunks.size;
    t = performance.now();
    store.checkIntegrity();
    r.integrityCheckMs = round(performance.now() - t);
    await idleMemory(r, 2000);
    r.keep = store.chunks.size > 0; // keep the store alive until here
  } else {
    t = performance.now();
    const runtime = await ModelRuntime.start(modelSource());
    r.modelLoadMs = round(performance.now() - t);
    r.rssAfterModelMB = mb(process.memoryUsage.rss());
    t = performance.now();
    const engine = await Engine.open({ folder, indexDir, modelId: MODEL_ID, dtype: DTYPE }, runtime);
    r.indexOpenMs = round(performance.now() - t);
    r.rssAfterIndexMB = mb(process.memoryUsage.rss());
    r.chunks = engine.index.chunks.size;
    t = performance.now();
    const hits = await engine.search('save the index to disk atomically', { k: 10 });
    r.firstQueryMs = round(performance.now() - t);
    r.firstQueryHits = hits.length;
    t = performance.now();
    await engine.search('walk a directory tree respecting gitignore rules', { k: 10 });
    r.secondQueryMs = round(performance.now() - t);
    r.openPlusFirstQueryMs = round(r.indexOpenMs + r.firstQueryMs);
    r.modelPlusOpenPlusFirstQueryMs = round(r.modelLoadMs + r.indexOpenMs + r.firstQueryMs);
    await idleMemory(r, 3000);
    await engine.close();
    await runtime.close();
  }
  emit({ ...r, loadavg: loadavg() });
});

/** Memory once things settle: wait, collect garbage if exposed, then record RSS, heap and external bytes. */
async function idleMemory(r, settleMs) {
  await sleep(settleMs);
  global.gc?.();
  await sleep(500);
  r.idleRssMB = mb(process.memoryUsage.rss());
  const m = process.memoryUsage();
  r.heapUsedMB = mb(m.heapUsed);
  r.externalMB = mb(m.external);
}
