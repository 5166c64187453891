// Step: index the real corpus from scratch with Engine.update (default threads), as the CLI and the
// extension do. Measures end-to-end throughput, where the time goes (phases, embedding busy time,
// checkpoint saves) and peak RSS. Then dumps the chunk texts (in file order, exactly as the indexer
// cut them) and their vectors for the raw-model baseline and the synthetic indexes.
//
//   node bench/index-real.mjs --folder DIR --index-dir DIR [--dump-dir DIR] [--threads N]
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { core, emit, loadavg, main, mb, MODEL_ID, DTYPE, parseArgs, round, rssSampler } from './lib.mjs';

main(async () => {
  const args = parseArgs();
  const folder = path.resolve(args.folder);
  const indexDir = path.resolve(args['index-dir']);
  const dumpDir = args['dump-dir'] ? path.resolve(args['dump-dir']) : undefined;
  const { Engine } = core('core/engine');
  const { discoverFiles, DEFAULT_EXCLUDES } = core('core/discovery');
  const { readTextFile } = core('core/text');
  const { chunkText } = core('core/chunking/chunker');
  const { hashText } = core('core/index/store');
  const { embeddingText } = core('core/chunking/embedText');
  const { defaultThreads } = core('core/embedding/pool');

  const sampler = rssSampler(50);
  const rssStart = process.memoryUsage.rss();
  const threads = args.threads ? Number(args.threads) : undefined;
  const t0 = performance.now();
  const engine = await Engine.open({ folder, indexDir, modelId: MODEL_ID, dtype: DTYPE, ...(threads ? { threads } : {}) });
  const openMs = performance.now() - t0;
  const runtime = engine.runtime;
  const workers = runtime.workers; // read while open (a closed pool has none)
  // One tiny batch so both this and the raw baseline start with a warm session.
  await runtime.embedPassages(['warm up']);
  const rssAfterOpen = process.memoryUsage.rss();

  // Instrumentation (no product change): time spent in embedding calls and in saves.
  let inFlight = 0;
  let busySince = 0;
  let embedBusyMs = 0;
  let embedCalls = 0;
  let embedTexts = 0;
  const origEmbed = runtime.embedPassages.bind(runtime);
  runtime.embedPassages = async (texts) => {
    if (inFlight++ === 0) busySince = performance.now();
    embedCalls++;
    embedTexts += texts.length;
    try {
      return await origEmbed(texts);
    } finally {
      if (--inFlight === 0) embedBusyMs += performance.now() - busySince;
    }
  };
  const store = engine.index;
  const saves = [];
  const origSave = store.save.bind(store);
  store.save = async () => {
    const s = performance.now();
    await origSave();
    saves.push(performance.now() - s);
  };

  const phases = {};
  let phase;
  let phaseStart = 0;
  const onProgress = (p) => {
    if (p.phase !== phase) {
      const now = performance.now();
      if (phase) phases[phase] = (phases[phase] ?? 0) + (now - phaseStart);
      phase = p.phase;
      phaseStart = now;
    }
  };
  const t1 = performance.now();
  const summary = await engine.update({ onProgress });
  const updateMs = performance.now() - t1;
  if (phase) phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart);
  const peakRss = sampler.stop();
  const maxRssKb = process.resourceUsage().maxRSS;
  const st = await engine.stats();

  // Dump: the indexer's chunks again (same discovery, reader, chunker and token budget), in file order.
  const { files } = dumpDir ? await discoverFiles(folder, { exclude: DEFAULT_EXCLUDES, maxFileBytes: 1024 * 1024 }) : { files: [] };
  const dumpFiles = [];
  const vectors = [];
  const tokens = [];
  let missing = 0;
  for (const f of files) {
    const read = await readTextFile(path.join(folder, f.rel), 1024 * 1024);
    if (!read.ok) continue;
    const chunks = await chunkText(f.rel, read.text, { maxTokens: runtime.chunkTokens, countTokens: (t) => runtime.countTokens(t) });
    const out = [];
    for (const c of chunks) {
      // Chunks are keyed by the text the model embedded (path and symbol line above the code).
      const v = store.vectorForHash(hashText(embeddingText(f.rel, c)));
      if (!v) {
        missing++;
        continue;
      }
      vectors.push(v);
      tokens.push(runtime.countTokens(c.text) + 2);
      // embedText: the string the engine embedded, which the raw baseline embeds too.
      out.push({ startLine: c.startLine, endLine: c.endLine, ...(c.symbol ? { symbol: c.symbol } : {}), text: c.text, embedText: embeddingText(f.rel, c) });
    }
    if (out.length) dumpFiles.push({ rel: f.rel, size: read.size, chunks: out });
  }
  if (dumpDir) {
    if (dumpFiles.length === 0) throw new Error(`no chunk of ${folder} has a vector in the index (${missing} missing): nothing to dump`);
    mkdirSync(dumpDir, { recursive: true });
    writeFileSync(path.join(dumpDir, 'chunks.json'), JSON.stringify({ files: dumpFiles }));
    const flat = new Float32Array(vectors.length * 384);
    vectors.forEach((v, i) => flat.set(v, i * 384));
    writeFileSync(path.join(dumpDir, 'vectors.f32'), Buffer.from(flat.buffer));
  }
  await engine.close();

  const seconds = updateMs / 1000;
  const tokSorted = [...tokens].sort((a, b) => a - b);
  emit({
    step: 'index-real',
    loadavg: loadavg(),
    threads: workers || defaultThreads(),
    files: summary.files,
    chunks: summary.chunks,
    embedded: summary.embedded,
    skipped: summary.skipped,
    // Chunks whose text another chunk of the same wave already had (embedded once, vector shared).
    dedupedChunks: summary.embedded - embedTexts,
    dumpedChunks: vectors.length,
    dumpMissing: missing,
    meanTokens: round(tokens.reduce((a, b) => a + b, 0) / tokens.length, 1),
    medianTokens: tokSorted[Math.floor(tokSorted.length / 2)],
    engineOpenMs: round(openMs),
    updateSeconds: round(seconds, 2),
    chunksPerSec: round(summary.chunks / seconds, 2),
    filesPerSec: round(summary.files / seconds, 2),
    phasesMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, round(v)])),
    embedBusyMs: round(embedBusyMs),
    embedBusyShare: round(embedBusyMs / updateMs, 3),
    embedCalls,
    embedTexts,
    saves: saves.map((s) => round(s)),
    rssStartMB: mb(rssStart),
    rssAfterModelMB: mb(rssAfterOpen),
    peakRssSampledMB: mb(peakRss),
    maxRssMB: round(maxRssKb / 1024, 1),
    bytesOnDisk: st.bytesOnDisk,
    bytesPerChunk: st.bytesPerChunk,
  });
});
