#!/usr/bin/env node
// `npm run bench [-- --json] [-- --quick]`: Kindred's performance figures beside their targets, in one run.
//
//   node scripts/bench.mjs [--json] [--quick] [--no-ext-host] [--only a,b] [--keep] [--work DIR]
//                          [--max-load 1.5 [--max-wait 600] [--wait-budget 1800]] [--efficiency-runs N] [--strict]
//
// Steps (each in a fresh Node process, see bench/*.mjs; docs/benchmarks.md explains every figure):
//   efficiency   Engine.update on a real corpus vs the raw onnxruntime model on the same chunk texts
//   query        search (hybrid) and find-similar latency on synthetic 10k / 100k-chunk indexes
//   incremental  save → searchable through EngineService (real chokidar watcher)
//   memory       peak RSS while indexing; idle RSS with the big index open (fresh process)
//   disk         bytes per chunk of the big index
//   cold         fresh process: model load, index open (checksums included), first query
//   ext-host     main-thread stalls of the real extension host (code-server) while indexing
//   threads      Engine.update throughput at 1 and 2 embedding threads
//   first-search a fresh 200-file repository: time to a keyword answer, and until every chunk has a vector
// --quick: a smaller real corpus, 10k chunks only, fewer samples (< 2 minutes).
// --max-load L: before each step, wait (up to --max-wait seconds per step, default 600, and
//   --wait-budget seconds in all, default 1800) for the 1-minute load average to drop to L; the
//   machine is shared and every figure is recorded with the load average around it.
// Exit code: 1 if a step failed (or, with --strict, a target was missed), else 0.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeCorpus, prepareRealCorpus } from '../bench/corpus.mjs';
import { core, loadavg, log, MODEL_ID, DTYPE, parseArgs, ROOT, round, runStep } from '../bench/lib.mjs';

const args = parseArgs();
const quick = !!args.quick;
const json = !!args.json;
const only = args.only ? new Set(String(args.only).split(',')) : undefined;
const want = (s) => !only || only.has(s);
const withExtHost = !args['no-ext-host'] && want('ext-host');
const maxLoad = args['max-load'] !== undefined ? Number(args['max-load']) : undefined;
const maxWait = Number(args['max-wait'] ?? 600);
let waitBudget = Number(args['wait-budget'] ?? 1800);
const effRuns = Number(args['efficiency-runs'] ?? (quick ? 1 : 2));
// --sizes 10000,100000,1000000: synthetic index sizes (default: 10k in --quick; 10k, 100k and 1M in full).
const sizes = args.sizes ? String(args.sizes).split(',').map(Number) : quick ? [10_000] : [10_000, 100_000, 1_000_000];

for (const f of ['out/src/core/engine.js', 'out/src/worker/engineService.js', 'dist/extension.js', 'dist/engineProcess.js']) {
  if (!existsSync(path.join(ROOT, f))) {
    log(`${f} is missing: build first (npx tsc -p . && node esbuild.mjs, or npm run setup)`);
    process.exit(2);
  }
}
// Indexing runs with the V8 flags and environment the extension forks its engine process with (src/shared/engineLaunch.ts).
const { ENGINE_V8_FLAGS, ENGINE_ENV } = core('shared/engineLaunch');
const ENGINE_NODE_ARGS = [...ENGINE_V8_FLAGS];
const { defaultModelsDir } = core('core/paths');
const { defaultIndexDir } = core('core/paths');
if (!existsSync(path.join(defaultModelsDir(), MODEL_ID, 'config.json'))) {
  log(`the model ${MODEL_ID} is not in ${defaultModelsDir()}: run npm run setup`);
  process.exit(2);
}

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model;
  return {
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    cpu,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waits = {};
async function quiet(step) {
  if (maxLoad === undefined) return;
  const start = Date.now();
  while (loadavg()[0] > maxLoad && Date.now() - start < Math.min(maxWait, waitBudget) * 1000) {
    log(`load ${loadavg()[0]} > ${maxLoad}: waiting before ${step} (${Math.round((Date.now() - start) / 1000)} s so far)`);
    await sleep(15_000);
  }
  const waited = Math.round((Date.now() - start) / 1000);
  waitBudget -= waited;
  waits[step] = { waitedSeconds: waited, load1: loadavg()[0] };
}

const details = {};
const errors = {};
async function step(name, script, stepArgs, opts) {
  await quiet(name);
  log(`${name}: running (load ${loadavg().join(' ')})`);
  try {
    const r = await runStep(script, stepArgs, opts);
    log(`${name}: ${r.stepSeconds} s`);
    return r;
  } catch (e) {
    errors[name] = String(e.message ?? e).slice(0, 2000);
    log(`${name}: FAILED: ${errors[name]}`);
    return undefined;
  }
}

const started = Date.now();
const loadStart = loadavg();
const work = args.work ? path.resolve(args.work) : mkdtempSync(path.join(os.tmpdir(), 'kindred-bench-'));
mkdirSync(work, { recursive: true });
const real = path.join(work, 'real');
const indexRoot = path.join(work, 'indexes');
const realIndexDir = path.join(indexRoot, path.basename(defaultIndexDir(real)));
const dump = path.join(work, 'dump');
const corpusFiles = prepareRealCorpus(real, { quick });
log(`work dir ${work}; real corpus: ${describeCorpus(quick)} (${corpusFiles.files} files, ${round(corpusFiles.bytes / 1024, 0)} KiB)`);

// 1. Efficiency (also: peak RSS while indexing, the corpus dump the other steps use).
const needDump = want('efficiency') || want('query') || want('memory') || want('disk') || want('cold') || want('incremental');
details.efficiency = { runs: [] };
// --reuse-real (with --work DIR of an earlier run): the real corpus's index and dump from that run are used
// as they are (index-real is not run again; the efficiency figures are then not measured).
if (needDump && args['reuse-real'] && existsSync(path.join(dump, 'chunks.json'))) {
  const saved = path.join(work, 'index-real.json');
  details.index = { ...(existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : {}), reused: true };
  log(`index-real: reusing ${dump}`);
} else if (needDump) {
  for (let i = 0; i < Math.max(1, want('efficiency') ? effRuns : 1); i++) {
    const dir = i === 0 ? realIndexDir : path.join(work, `indexes-run${i + 1}`, 'idx');
    const e = await step(`index-real#${i + 1}`, 'index-real.mjs', ['--folder', real, '--index-dir', dir, ...(i === 0 ? ['--dump-dir', dump] : [])], { nodeArgs: ENGINE_NODE_ARGS, env: ENGINE_ENV });
    if (!e) break;
    if (i === 0) {
      details.index = e;
      writeFileSync(path.join(work, 'index-real.json'), JSON.stringify(e));
    }
    if (!want('efficiency')) break;
    const r = await step(`raw-onnx#${i + 1}`, 'raw-onnx.mjs', ['--dump-dir', dump, '--threads', String(e.threads), '--batches', quick ? '1,32' : '1,8,32']);
    if (!r) break;
    details.efficiency.runs.push({
      engine: e,
      raw: r,
      // Against the fastest fixed batch size (the strict reading of "raw throughput"), and against each.
      ratio: round(e.chunksPerSec / r.best.chunksPerSec, 3),
      ratioByBatch: Object.fromEntries(r.runs.map((x) => [x.batchSize, round(e.chunksPerSec / x.chunksPerSec, 3)])),
    });
  }
}

// 2, 4, 5, 6. Synthetic indexes: build, query, cold open, idle memory, disk.
details.synthetic = {};
if (details.index && (want('query') || want('memory') || want('disk') || want('cold') || want('incremental'))) {
  for (const n of sizes) {
    const out = path.join(work, `synthetic-${n}`);
    const d = (details.synthetic[n] = {});
    // Up to 100k the copies are real files (a watcher and updates see a folder matching the index); 1M uses symlinks.
    const files = n <= 100_000 ? ['--real-files', '--index-root', path.join(work, `indexes-${n}`)] : [];
    d.build = await step(`build-${n}`, 'build-synthetic.mjs', ['--dump-dir', dump, '--real-folder', real, '--out', out, '--chunks', String(n), ...files], { timeoutMs: 120 * 60_000 });
    if (!d.build) continue;
    const idx = ['--folder', d.build.folder, '--index-dir', d.build.indexDir];
    if (want('query')) d.query = await step(`query-${n}`, 'query.mjs', [...idx, '--dump-dir', dump, '--rounds', quick ? '1' : '5', '--similar', quick ? '20' : '40']);
    if (want('cold') || want('memory')) {
      // The engine mode stands for the extension's engine process, so it starts as that process does.
      d.coldEngine = await step(`cold-open-${n}`, 'cold-open.mjs', [...idx, '--mode', 'engine'], { nodeArgs: ['--expose-gc', ...ENGINE_NODE_ARGS], env: ENGINE_ENV });
      d.coldStore = await step(`cold-open-store-${n}`, 'cold-open.mjs', [...idx, '--mode', 'store'], { nodeArgs: ['--expose-gc'] });
    }
    if (n === 100_000 && want('incremental')) {
      // Save → searchable and bytes written per one-file edit at 100k, through EngineService's real watcher.
      d.incremental = await step(`incremental-${n}`, 'incremental.mjs', ['--folder', d.build.folder, '--index-root', path.join(work, `indexes-${n}`), '--saves', '10', '--edit-dir', 'copy0/src']);
    }
  }
}

// 3. Incremental latency (on the real corpus and its index from step 1).
if (details.index && want('incremental')) {
  details.incremental = await step('incremental', 'incremental.mjs', ['--folder', real, '--index-root', indexRoot, '--saves', '10']);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 8. Threads: Engine.update on the real corpus at 1 and 2 embedding threads (workers of one onnxruntime
// thread each); the default's count is taken from the efficiency runs when they ran.
details.threads = {};
if (want('threads')) {
  for (const t of [1, 2]) {
    const fromEfficiency = details.efficiency.runs.filter((r) => r.engine.threads === t);
    if (fromEfficiency.length) {
      details.threads[t] = { chunksPerSec: median(fromEfficiency.map((r) => r.engine.chunksPerSec)), maxRssMB: fromEfficiency[0].engine.maxRssMB, from: 'efficiency' };
      continue;
    }
    const e = await step(`threads-${t}`, 'index-real.mjs', ['--folder', real, '--index-dir', path.join(work, `indexes-threads${t}`, 'idx'), '--threads', String(t)], { nodeArgs: ENGINE_NODE_ARGS, env: ENGINE_ENV });
    if (e) details.threads[t] = { chunksPerSec: e.chunksPerSec, maxRssMB: e.maxRssMB, loadavgStart: e.loadavgStart, loadavgEnd: e.loadavgEnd };
  }
}

// 9. First search: a fresh 200-file repository, keyword-searchable and fully embedded (issue 14).
if (want('first-search')) {
  details.firstSearch = await step('first-search', 'first-search.mjs', ['--real-folder', real, '--out', path.join(work, 'first-search'), '--files', quick ? '60' : '200']);
}

// 7. Extension host responsiveness.
if (withExtHost) {
  details.extHost = await step('ext-host', 'ext-host.mjs', ['--work', path.join(work, 'ext-host'), ...(quick ? ['--quick'] : [])], { timeoutMs: 40 * 60_000 });
}

// ---- Figures beside their targets ----
const rows = [];
const row = (id, metric, value, unit, target, ok, note) => rows.push({ id, metric, value, unit, target, status: ok === undefined ? 'info' : ok === 'warn' ? 'warn' : ok ? 'pass' : 'FAIL', ...(note ? { note } : {}) });

const effRunsDone = details.efficiency.runs;
if (effRunsDone.length) {
  const ratios = effRunsDone.map((r) => r.ratio);
  const ratio = round(ratios.reduce((a, b) => a + b, 0) / ratios.length, 3);
  const worst = Math.min(...ratios);
  row('efficiency', 'Embedding pipeline efficiency (Engine.update chunks/s ÷ raw ORT chunks/s, best fixed batch)', ratio, '×', '≥ 0.95, never < 0.9', worst < 0.9 ? false : ratio >= 0.95 ? true : 'warn', `runs: ${ratios.join(', ')}; best raw batch: ${effRunsDone.map((r) => r.raw.best.batchSize).join(', ')}`);
  for (const b of Object.keys(effRunsDone[0].ratioByBatch)) {
    const perRun = effRunsDone.map((r) => r.ratioByBatch[b]);
    row(`efficiency.batch${b}`, `  … ÷ raw ORT at batch ${b} (file order)`, round(perRun.reduce((x, y) => x + y, 0) / perRun.length, 3), '×', undefined, undefined, `raw ${effRunsDone.map((r) => r.raw.runs.find((x) => String(x.batchSize) === b).chunksPerSec).join(', ')} chunks/s; peak RSS ${effRunsDone[0].raw.runs.find((x) => String(x.batchSize) === b).maxRssMB} MB`);
  }
  row('index.chunksPerSec', 'Indexing throughput, Engine.update (real corpus)', round(median(effRunsDone.map((r) => r.engine.chunksPerSec)), 1), 'chunks/s', undefined, undefined, `${details.index.chunks} chunks, ${details.index.files} files, ${details.index.threads} embedding thread(s)`);
  row('index.filesPerSec', 'Indexing throughput, Engine.update (real corpus)', round(median(effRunsDone.map((r) => r.engine.filesPerSec)), 1), 'files/s');
}
const K = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
for (const n of sizes) {
  const q = details.synthetic[n]?.query;
  if (!q) continue;
  const k = `${n / 1000}k`;
  const tgt = n === 100_000 ? 'p95 < 30 ms' : n === 1_000_000 ? 'p95 < 100 ms' : undefined;
  const okq = (v) => (n === 100_000 ? v < 30 : n === 1_000_000 ? v < 100 : undefined);
  row(`search.${k}`, `Search (hybrid) @${K(n)}, incl. query embedding, p50 / p95`, `${q.searchTotal.p50} / ${q.searchTotal.p95}`, 'ms', tgt, okq(q.searchTotal.p95), `BM25 alone p95 ${q.bm25.p95} ms, HNSW alone p95 ${q.hnsw.p95} ms, query embedding p95 ${q.queryEmbed.p95} ms`);
  row(`search.${k}.noEmbed`, `Search (hybrid) @${K(n)}, without query embedding, p50 / p95`, `${q.searchNoEmbed.p50} / ${q.searchNoEmbed.p95}`, 'ms');
  row(`similar.${k}`, `Find-similar @${K(n)}, incl. embedding, p50 / p95`, `${q.similarTotal.p50} / ${q.similarTotal.p95}`, 'ms');
  row(`similar.${k}.noEmbed`, `Find-similar @${K(n)}, without embedding, p50 / p95`, `${q.similarNoEmbed.p50} / ${q.similarNoEmbed.p95}`, 'ms');
}
if (details.incremental) {
  const i = details.incremental;
  row('incremental', `Save → searchable via EngineService (${i.saves} saves), p50 / max`, `${i.embedded.p50} / ${i.embedded.max}`, 'ms', '< 1000 ms', i.notFound === 0 && i.embedded.max < 1000, `${i.chunks} chunks indexed; found ${i.saves - i.notFound}/${i.saves}`);
}
const inc100 = details.synthetic[100_000]?.incremental;
if (inc100) {
  row('incremental.100k', `Save → searchable @100k via EngineService, real watcher (${inc100.saves} saves), p50 / p95`, `${inc100.embedded.p50} / ${inc100.embedded.p95}`, 'ms', 'p95 < 700 ms', inc100.notFound === 0 && inc100.embedded.p95 < 700, `${inc100.chunks} chunks; found ${inc100.saves - inc100.notFound}/${inc100.saves}; keyword-visible p95 ${inc100.visible.p95} ms`);
  row('writes.edit.100k', 'Bytes written for a one-function edit @100k (wchar of the engine process, edited file excluded), p50 / max', `${inc100.editBytesWritten.p50} / ${inc100.editBytesWritten.max}`, 'B', '≤ 1 MB', inc100.editBytesWritten.max <= 1 << 20, `all saves (edits + new files): p50 ${inc100.indexBytesWritten.p50}, max ${inc100.indexBytesWritten.max} B`);
}
// With --reuse-real the indexing figures are an earlier run's: shown, not judged.
if (details.index?.maxRssMB !== undefined) row('memory.indexing', 'Peak RSS while indexing the real corpus', details.index.maxRssMB, 'MB', '≤ 350 MB', details.index.reused ? undefined : details.index.maxRssMB <= 350, `${details.index.reused ? 'not measured in this run (--reuse-real: an earlier run’s figure); ' : ''}RSS with the model loaded, before indexing: ${details.index.rssAfterModelMB} MB`);
const b100 = details.synthetic[100_000]?.build;
if (b100) row('writes.build', 'Bytes written by a first build @100k ÷ final index size', b100.writtenPerFinalByte, '×', '≤ 3', b100.writtenPerFinalByte <= 3, `${b100.bytesWritten} B written, ${b100.diskBytes} B final; ${b100.commits} commits`);
for (const n of [100_000, 1_000_000]) {
  const d = details.synthetic[n];
  if (!d) continue;
  const sfx = n === 100_000 ? '' : `.${n / 1000}k`;
  if (d.coldEngine) {
    const lim = n === 100_000 ? 400 : 3000;
    const mem = n === 100_000 ? 400 : 2560;
    row(`memory.idle${sfx}`, `Idle RSS, ${K(n)}-chunk index open + model (fresh process)`, d.coldEngine.idleRssMB, 'MB', n === 100_000 ? '< 400 MB' : '< 2.5 GB', d.coldEngine.idleRssMB < mem, `${d.coldStore ? `index alone, no model: ${d.coldStore.idleRssMB} MB; ` : ''}JS heap ${d.coldEngine.heapUsedMB} MB`);
    const c = d.coldEngine;
    row(`cold.openQuery${sfx}`, `Cold open @${K(n)}: index open (quick_check, snapshot, delta replay) + first hybrid query`, c.openPlusFirstQueryMs, 'ms', `< ${lim} ms`, c.openPlusFirstQueryMs < lim, `open ${c.indexOpenMs} + first query ${c.firstQueryMs}; model load ${c.modelLoadMs} ms (separately)`);
  }
  if (d.build) row(`disk${sfx}`, `Disk per chunk @${K(n)} (all index files), 384 dims`, d.build.bytesPerChunk, 'B', '≤ 2500 B', n0(d.build.bytesPerChunk) <= 2500, Object.entries(d.build.bytesPerChunkByFile).map(([k2, v]) => `${k2} ${v}`).join(', '));
}
if (details.threads[1] || details.threads[2]) {
  const { defaultThreads } = core('core/embedding/pool');
  const t1 = details.threads[1]?.chunksPerSec;
  const t2 = details.threads[2]?.chunksPerSec;
  row('threads', 'Engine.update throughput at 1 / 2 embedding threads (real corpus)', `${round(t1, 1)} / ${round(t2, 1)}`, 'chunks/s', undefined, undefined, `the default here is ${defaultThreads()} (cores − 1, one onnxruntime thread per worker); peak RSS ${details.threads[1]?.maxRssMB} / ${details.threads[2]?.maxRssMB} MB`);
}
if (details.firstSearch) {
  const f = details.firstSearch;
  const rate = details.efficiency.runs.length ? median(details.efficiency.runs.map((r) => r.engine.chunksPerSec)) : undefined;
  row('firstSearch', `Fresh ${f.files}-file repository: keyword query answered / every chunk embedded (from opening)`, `${f.keywordSearchableMs} / ${f.allVectorsMs}`, 'ms', 'keyword ≤ 3000 ms', f.keywordSearchableMs <= 3000, `${f.chunks} chunks; every file chunked (keyword commit) at ${f.allChunkedMs} ms, model loaded and index opened at ${f.openMs} ms${rate ? `; chunks ÷ measured indexing rate (${round(rate, 1)}/s) = ${round((f.chunks / rate) * 1000, 0)} ms` : ''}`);
}
if (details.extHost) {
  const x = details.extHost.indexing;
  const prof = x.profiledStalls ?? [];
  const idleStalls = prof.filter((p) => (p.top[0] ?? '').startsWith('(idle)')).length;
  const kindred = prof.filter((p) => p.kindredSamples > 0).length;
  row('exthost.max', 'Extension host main thread while indexing: longest stall (ELD max)', x.maxMs, 'ms', '< 50 ms', x.maxMs < 50, `${x.stallsOver50ms} stalls > 50 ms in ${x.seconds} s; idle max ${details.extHost.idle.maxMs} ms; CPU-burn control (no Kindred) max ${details.extHost.controlCpuBurn?.maxMs} ms; profile of the ${prof.length} worst stalls: ${idleStalls} idle in the event loop, ${kindred} in Kindred code, GC max ${x.gcMaxMs} ms`);
  row('exthost.p99', 'Extension host main thread while indexing: ELD p99', x.p99Ms, 'ms', undefined, undefined, `${details.extHost.folder.chunks} chunks indexed in ${x.indexSeconds} s`);
  const sw = details.extHost.searchWhileIndexing;
  if (sw?.n) row('exthost.search', 'Search round trip from the extension while indexing, p50 / p95 / max', `${sw.p50Ms} / ${sw.p95Ms} / ${sw.maxMs}`, 'ms', 'p95 ≤ 150 ms', sw.p95Ms <= 150, `${sw.n} searches, one every 2 s`);
}
function n0(x) {
  return typeof x === 'number' ? x : Number.POSITIVE_INFINITY;
}

const report = {
  kind: 'kindred-bench',
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  command: `node scripts/bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(),
  model: { id: MODEL_ID, dtype: DTYPE },
  loadavg: { start: loadStart, end: loadavg() },
  seconds: Math.round((Date.now() - started) / 1000),
  corpus: {
    real: {
      description: describeCorpus(quick),
      filesCopied: corpusFiles.files,
      bytes: corpusFiles.bytes,
      filesIndexed: details.index?.files,
      chunks: details.index?.chunks,
      meanTokensPerChunk: details.index?.meanTokens,
    },
    synthetic: 'the real corpus replicated to N chunks: copy 0 real, copies ≥ 1 with ~30% of identifiers renamed and vectors = real + N(0, 0.025²) per dim, renormalized',
  },
  results: rows,
  ...(Object.keys(errors).length ? { errors } : {}),
  ...(Object.keys(waits).length ? { waits } : {}),
  details,
};

if (!args.keep && !args.work) rmSync(work, { recursive: true, force: true });
else log(`kept ${work}`);

if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else process.stdout.write(table(report));

const missed = rows.some((r) => r.status === 'FAIL');
process.exit(Object.keys(errors).length || (args.strict && missed) ? 1 : 0);

function table(rep) {
  const m = rep.machine;
  const lines = [];
  lines.push(`Kindred benchmark (${rep.mode}) — ${rep.date}`);
  lines.push(`machine: ${m.nproc} × ${m.cpu}, ${m.ramGiB} GiB RAM, Node ${m.node}; model ${rep.model.id} ${rep.model.dtype}`);
  lines.push(`load average (1/5/15 min): start ${rep.loadavg.start.join(' ')}, end ${rep.loadavg.end.join(' ')}; ${rep.seconds} s`);
  lines.push(`real corpus: ${rep.corpus.real.description}: ${rep.corpus.real.filesIndexed} files, ${rep.corpus.real.chunks} chunks`);
  lines.push('');
  const cells = rep.results.map((r) => [r.metric, `${r.value} ${r.unit}`, r.target ?? '—', r.status, r.note ?? '']);
  const head = ['metric', 'value', 'target', 'status', 'note'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const fmt = (c) => c.map((x, i) => String(x).padEnd(w[i])).join('  ').trimEnd();
  lines.push(fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...cells.map(fmt));
  if (rep.errors) {
    lines.push('', 'errors:');
    for (const [k, v] of Object.entries(rep.errors)) lines.push(`  ${k}: ${v.split('\n')[0]}`);
  }
  lines.push('', 'load average (1 min) at the start / end of each step:');
  const stepLoads = [];
  const walk = (name, r) => r && stepLoads.push(`  ${name}: ${r.loadavgStart?.[0]} / ${r.loadavgEnd?.[0]} (${r.stepSeconds} s)`);
  rep.details.efficiency.runs.forEach((r, i) => {
    walk(`index-real#${i + 1}`, r.engine);
    walk(`raw-onnx#${i + 1}`, r.raw);
  });
  for (const [n, d] of Object.entries(rep.details.synthetic)) for (const [k, r] of Object.entries(d)) walk(`${k}-${n}`, r);
  walk('incremental', rep.details.incremental);
  walk('ext-host', rep.details.extHost);
  lines.push(...stepLoads, '');
  return lines.join('\n');
}
