// Experiment (not part of `npm run bench`): does the main thread of a Node process stall because
// background threads of the same process saturate the cores, and does lowering their priority help?
// The main thread is watched with monitorEventLoopDelay (1 ms resolution) while, in turn:
//   idle        nothing else runs;
//   burn        as many busy-loop threads as cores (a CPU-saturated process, no Kindred code);
//   embed       one thread embeds real chunks continuously through the product's loadModel (like an
//               embedding worker) + (cores - 1) busy-loop threads (the engine worker, code-server, ...);
//   embed-nice  the same with the embedding thread at nice 19 (os.setPriority in the thread: on Linux
//               it applies to the calling thread only) and the busy-loop threads at nice 19 too;
//   embed+over, embed-nice+over-nice   the same with cores + 1 busy-loop threads (oversubscribed);
//   ext-burn    `cores` busy threads in another process (own session: own scheduler autogroup);
//   embed-thread+ext-burn    the embedding thread in this process + that other busy process;
//   embed-process+ext-burn   the embedder in a separate process (own session) + that busy process.
//
//   node bench/stall-experiment.mjs --dump-dir DIR [--seconds 15]
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { emit, loadavg, main, modelSource, parseArgs, ROOT, round } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const BURN = `
const { workerData } = require('node:worker_threads');
if (workerData.nice) require('node:os').setPriority(19);
const end = Date.now() + workerData.ms;
while (Date.now() < end) {}
`;

const EMBED = `
const { workerData, parentPort } = require('node:worker_threads');
const path = require('node:path');
if (workerData.nice) require('node:os').setPriority(19);
const { loadModel } = require(path.join(workerData.root, 'out/src/core/embedding/transformers.js'));
loadModel(workerData.source, 1).then(async (model) => {
  parentPort.postMessage('ready');
  const end = Date.now() + workerData.ms;
  let n = 0;
  while (Date.now() < end) {
    const batch = workerData.texts.slice(n % workerData.texts.length, (n % workerData.texts.length) + 32);
    n += 32;
    await model.embed(batch);
  }
  await model.dispose();
  process.exit(0);
});
`;

const EMBED_PROCESS = `
const path = require('node:path');
const data = JSON.parse(process.env.EMBED_DATA);
const { files } = JSON.parse(require('node:fs').readFileSync(path.join(data.dumpDir, 'chunks.json'), 'utf8'));
data.texts = files.flatMap((f) => f.chunks.map((c) => c.text)).sort((a, b) => b.length - a.length).slice(0, 512);
const { loadModel } = require(path.join(data.root, 'out/src/core/embedding/transformers.js'));
loadModel(data.source, 1).then(async (model) => {
  process.stdout.write('ready\\n');
  const end = Date.now() + data.ms;
  let n = 0;
  while (Date.now() < end) {
    const batch = data.texts.slice(n % data.texts.length, (n % data.texts.length) + 32);
    n += 32;
    await model.embed(batch);
  }
  process.exit(0);
});
`;

main(async () => {
  const args = parseArgs();
  const seconds = Number(args.seconds ?? 15);
  const { files } = JSON.parse(readFileSync(path.join(path.resolve(args['dump-dir']), 'chunks.json'), 'utf8'));
  // The longest chunks: the biggest batches the indexer makes (32 items, up to 32 KB).
  const texts = files.flatMap((f) => f.chunks.map((c) => c.text)).sort((a, b) => b.length - a.length).slice(0, 512);
  const cores = os.availableParallelism?.() ?? os.cpus().length;

  const measure = async (name, start) => {
    const threads = await start();
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    await sleep(seconds * 1000);
    h.disable();
    await Promise.all(threads.map((t) => new Promise((r) => t.once('exit', r))));
    return { variant: name, maxMs: round(h.max / 1e6), p99Ms: round(h.percentile(99) / 1e6), p999Ms: round(h.percentile(99.9) / 1e6), load1: loadavg()[0] };
  };
  const burners = (n, nice) => Array.from({ length: n }, () => new Worker(BURN, { eval: true, workerData: { ms: seconds * 1000 + 500, nice } }));
  const embedder = async (nice) => {
    const w = new Worker(EMBED, { eval: true, workerData: { ms: seconds * 1000 + 500, nice, root: ROOT, source: modelSource(), texts } });
    await new Promise((r) => w.once('message', r));
    return w;
  };
  const runs = [];
  runs.push(await measure('idle', async () => []));
  runs.push(await measure('burn', async () => burners(cores, false)));
  runs.push(await measure('embed', async () => [await embedder(false), ...burners(cores - 1, false)]));
  runs.push(await measure('embed-nice', async () => [await embedder(true), ...burners(cores - 1, true)]));
  // Oversubscribed: more busy threads than cores (as in code-server, where chromium and the server compete too).
  runs.push(await measure('embed+over', async () => [await embedder(false), ...burners(cores + 1, false)]));
  runs.push(await measure('embed-nice+over-nice', async () => [await embedder(true), ...burners(cores + 1, true)]));
  // Other processes busy too (like chromium and code-server): `cores` busy threads in a process of
  // their own session (its own scheduler autogroup on Linux desktops/servers with autogroup on).
  const external = () => {
    const p = spawn(process.execPath, ['-e', `const { Worker } = require('node:worker_threads'); for (let i = 0; i < ${cores}; i++) new Worker('const end = Date.now() + ${seconds * 1000 + 500}; while (Date.now() < end) {}', { eval: true });`], { detached: true, stdio: 'ignore' });
    return p;
  };
  // The embedder as a separate process (its own session) instead of a thread of this process.
  const childEmbedder = async () => {
    const p = spawn(process.execPath, ['-e', EMBED_PROCESS], { detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EMBED_DATA: JSON.stringify({ ms: seconds * 1000 + 500, root: ROOT, source: modelSource(), dumpDir: path.resolve(args['dump-dir']) }) } });
    await new Promise((r) => p.stdout.once('data', r));
    return p;
  };
  runs.push(await measure('ext-burn', async () => [external()]));
  runs.push(await measure('embed-thread+ext-burn', async () => [await embedder(false), external()]));
  runs.push(await measure('embed-process+ext-burn', async () => [await childEmbedder(), external()]));
  emit({ step: 'stall-experiment', cores, seconds, runs });
});
