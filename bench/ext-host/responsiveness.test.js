// Responsiveness of the extension host's main thread while Kindred indexes a sizable folder.
// The workspace (prepared by bench/ext-host.mjs) has kindred.indexOnStartup = false, so the extension
// activates, loads the model and opens an empty index; then "Kindred: Reindex Workspace" indexes the
// whole folder while perf_hooks.monitorEventLoopDelay (1 ms resolution: each sample is the stall
// plus ~1 ms) and a 10 ms interval timer (which logs every gap over 20 ms) watch the main thread; a CPU
// profile of the main thread (inspector) says what ran during the worst stalls.
// Searches are sent every 2 s during indexing and timed (round trip through the engine worker).
// Result: one line `KINDRED_BENCH_RESULT {json}` on the console (the harness prints it on stdout).
const assert = require('node:assert/strict');
const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');
const os = require('node:os');
const vscode = require('vscode');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A CPU profile of this (main) thread through the inspector, to tell what ran during each stall:
 * a stall with about one sample per sampling interval was the thread running JavaScript (the frames
 * say whose); one with few samples was the thread not running (waiting for a core, or in native code).
 */
async function startProfiler() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  const startedAt = performance.now();
  return {
    startedAt,
    async stop() {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** For each stall [atMs, atMs + stallMs] (ms from windowStart): samples seen and the frames they were in. */
function explainStalls(profile, profilerStartedAt, windowStart, stalls) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.split('/').slice(-2).join('/') : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  const times = [];
  let t = 0;
  for (const d of profile.timeDeltas) times.push((t += d) / 1000 + (profilerStartedAt - windowStart));
  return stalls.map((s) => {
    const from = s.atMs;
    const to = s.atMs + s.stallMs + 10;
    const leaves = new Map();
    const callers = new Map();
    let n = 0;
    let ours = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      if (times[i] < from || times[i] > to) continue;
      n++;
      const leaf = byId.get(profile.samples[i]);
      leaves.set(label(leaf), (leaves.get(label(leaf)) ?? 0) + 1);
      // Who asked: the innermost frame outside Node's own modules.
      for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
        const url = byId.get(id).callFrame.url;
        if (url && !url.startsWith('node:')) {
          const c = label(byId.get(id));
          callers.set(c, (callers.get(c) ?? 0) + 1);
          break;
        }
      }
      for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
        if (byId.get(id).callFrame.url.includes('/dist/extension.js')) {
          ours++;
          break;
        }
      }
    }
    const top = [...leaves.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ×${v}`);
    const topCallers = [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ×${v}`);
    return { ...s, samples: n, kindredSamples: ours, top, callers: topCallers };
  });
}
const r1 = (x) => Math.round(x * 10) / 10;

/** Starts watching the main thread; stop() returns the figures. */
function watchLoop(where = () => undefined) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const started = performance.now();
  const gaps = [];
  let last = performance.now();
  // Garbage-collection pauses of this (main) thread's heap, to tell GC stalls from others.
  const gcs = [];
  const GC_KIND = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 10) gcs.push({ atMs: Math.round(e.startTime - started), ms: Math.round(e.duration), kind: GC_KIND[e.detail?.kind] ?? String(e.detail?.kind) });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last - 10;
    if (gap > 20) gaps.push({ atMs: Math.round(last - started), stallMs: Math.round(gap), during: where() });
    last = now;
  }, 10);
  return {
    stop() {
      h.disable();
      clearInterval(timer);
      obs.disconnect();
      return {
        seconds: r1((performance.now() - started) / 1000),
        maxMs: r1(h.max / 1e6),
        p99Ms: r1(h.percentile(99) / 1e6),
        p999Ms: r1(h.percentile(99.9) / 1e6),
        meanMs: r1(h.mean / 1e6),
        samples: h.count,
        stallsOver50ms: gaps.filter((g) => g.stallMs > 50).length,
        stallsOver20ms: gaps.length,
        worstStalls: gaps.sort((a, b) => b.stallMs - a.stallMs).slice(0, 10),
        gcPausesOver10ms: gcs.length,
        gcMaxMs: gcs.reduce((m, g) => Math.max(m, g.ms), 0),
        worstGcPauses: gcs.sort((a, b) => b.ms - a.ms).slice(0, 10),
      };
    },
  };
}

describe('Kindred responsiveness (benchmark)', () => {
  it('keeps the extension host main thread responsive while indexing', async () => {
    const result = { loadavgStart: os.loadavg() };
    const ext = vscode.extensions.getExtension('kindred.kindred');
    assert.ok(ext, 'the extension is installed');
    result.activeBeforeSuite = ext.isActive;

    // A. Activation and engine start (model load, empty index).
    let w = watchLoop();
    let t = performance.now();
    const api = await ext.activate();
    result.activateCallMs = Math.round(performance.now() - t);
    const client = api.ctx.client;
    for (;;) {
      const s = await client.request('status', {});
      if (s.state === 'idle' && s.folders.length > 0) break;
      if (s.state === 'error') throw new Error(`engine error: ${JSON.stringify(s.error)}`);
      await sleep(100);
    }
    result.activation = { ...w.stop(), readyMs: Math.round(performance.now() - t) };

    // B. Idle baseline: what the extension host does on its own (other extensions, the workbench).
    w = watchLoop();
    await sleep(Number(process.env.KINDRED_BENCH_IDLE_SECONDS || 5) * 1000);
    result.idle = w.stop();

    // C. Indexing the folder, with searches every 2 s.
    const searches = [];
    let indexing = true;
    const searcher = (async () => {
      while (indexing) {
        await sleep(2000);
        if (!indexing) break;
        const s = performance.now();
        const hits = await client.request('search', { query: 'read the contents of a file from disk', k: 10 });
        searches.push({ ms: Math.round(performance.now() - s), hits: hits.length });
      }
    })();
    let statusEvents = 0;
    const sub = api.ctx.onStatus(() => statusEvents++);
    const phase = () => {
      const s = api.ctx.status;
      return s.progress ? `${s.progress.phase} ${s.progress.done}/${s.progress.total}` : s.state;
    };
    const profiler = process.env.KINDRED_BENCH_PROFILE === '0' ? undefined : await startProfiler();
    w = watchLoop(phase);
    const windowStart = performance.now();
    t = performance.now();
    await vscode.commands.executeCommand('kindred.reindex');
    let status = await client.request('flush', {});
    const indexMs = performance.now() - t;
    result.indexing = { ...w.stop(), indexSeconds: r1(indexMs / 1000), statusEvents };
    if (profiler) {
      const profile = await profiler.stop();
      result.indexing.profiledStalls = explainStalls(profile, profiler.startedAt, windowStart, result.indexing.worstStalls);
      result.indexing.worstStalls = undefined;
    }
    indexing = false;
    sub.dispose();
    await searcher;
    const sorted = searches.map((s) => s.ms).sort((a, b) => a - b);
    result.searchWhileIndexing = {
      n: sorted.length,
      p50Ms: sorted[Math.floor(sorted.length / 2)],
      p95Ms: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)],
      maxMs: sorted[sorted.length - 1],
    };
    // D. Control: the same watch while two threads of this process only burn CPU (as many as the
    // machine has cores) — what OS scheduling alone does to the main thread on this machine.
    const { Worker } = require('node:worker_threads');
    w = watchLoop();
    const burners = Array.from({ length: os.cpus().length }, () => new Worker('const end = Date.now() + 6000; while (Date.now() < end) {}', { eval: true }));
    await Promise.all(burners.map((b) => new Promise((r) => b.once('exit', r))));
    result.controlCpuBurn = w.stop();

    status = await client.request('status', {});
    const f = status.folders[0];
    result.folder = { files: f.files, chunks: f.chunks, embedded: f.embedded };
    result.loadavgEnd = os.loadavg();
    result.node = process.version;
    console.log(`KINDRED_BENCH_RESULT ${JSON.stringify(result)}`);
    assert.equal(f.embedded, f.chunks, 'every chunk is embedded');
    assert.ok(f.chunks > 0, 'the folder was indexed');
  });
});
