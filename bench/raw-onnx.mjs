// Step: the raw-model baseline for the embedding pipeline efficiency. The same chunk texts the engine
// embedded (every chunk, in file order), batched naively (fixed batch size, no sorting, no
// deduplication), through onnxruntime-node sessions directly: as many sessions as the engine has
// embedding workers, one intra-op thread each, batches handed to whichever session is free.
// Also checks the vectors match the engine's (same model, same pooling).
//
//   node bench/raw-onnx.mjs --dump-dir DIR --threads N [--batches 1,8,32] [--order file|sorted]
// (--order sorted, length-sorted batches, is for experiments; the baseline is file order.)
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BENCH_DIR, emit, loadavg, main, MODEL_ID, DTYPE, modelSource, parseArgs, ROOT, round } from './lib.mjs';

main(async () => {
  const args = parseArgs();
  const dumpDir = path.resolve(args['dump-dir']);
  const threads = Number(args.threads ?? 1);
  const batchSizes = String(args.batches ?? '1,8,32').split(',').map(Number).sort((a, b) => a - b);
  const order = args.order === 'sorted' ? 'sorted' : 'file';
  const { files } = JSON.parse(readFileSync(path.join(dumpDir, 'chunks.json'), 'utf8'));
  // The strings the engine embedded (path and symbol line above the code); older dumps: the bare text.
  const texts = files.flatMap((f) => f.chunks.map((c) => c.embedText ?? c.text));
  const buf = readFileSync(path.join(dumpDir, 'vectors.f32'));
  const engineVectors = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

  const workers = [];
  const src = modelSource();
  for (let i = 0; i < threads; i++) {
    workers.push(new Worker(path.join(BENCH_DIR, 'raw-worker.mjs'), { workerData: { root: ROOT, modelsDir: src.modelsDir, modelId: MODEL_ID, dtype: DTYPE } }));
  }
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(String(m)))));
    w.once('error', reject);
  })));

  // One run per configuration, in the same sessions; batch sizes ascending (so the process's peak RSS
  // after each run is that batch size's peak: larger batches need larger buffers).
  const runs = [];
  for (const batchSize of batchSizes) {
    const list = order === 'sorted' ? [...texts].map((t, i) => ({ t, i })).sort((a, b) => a.t.length - b.t.length) : texts.map((t, i) => ({ t, i }));
    const batches = [];
    for (let i = 0; i < list.length; i += batchSize) batches.push(list.slice(i, i + batchSize));
    const results = new Array(batches.length);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve, reject) => {
            const send = () => {
              if (next >= batches.length) {
                w.off('message', onMessage);
                return resolve();
              }
              const index = next++;
              w.postMessage({ type: 'batch', index, texts: batches[index].map((x) => x.t) });
            };
            const onMessage = (m) => {
              if (m.type !== 'vectors') return;
              results[m.index] = m.vectors;
              send();
            };
            w.on('message', onMessage);
            w.once('error', reject);
            send();
          }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const times = await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve) => {
            const onTime = (m) => {
              if (m.type !== 'time') return;
              w.off('message', onTime);
              resolve(m.time);
            };
            w.on('message', onTime);
            w.postMessage({ type: 'time' });
          }),
      ),
    );
    const sum = (k) => times.reduce((a, t) => a + t[k], 0);
    // Same vectors as the engine's? (cosine per chunk)
    let minCos = 1;
    let sumCos = 0;
    batches.forEach((b, bi) => {
      const r = results[bi];
      b.forEach(({ i }, j) => {
        let dot = 0;
        for (let d = 0; d < 384; d++) dot += r[j * 384 + d] * engineVectors[i * 384 + d];
        minCos = Math.min(minCos, dot);
        sumCos += dot;
      });
    });
    runs.push({
      batchSize,
      order,
      seconds: round(seconds, 2),
      chunksPerSec: round(texts.length / seconds, 2),
      tokenizeMs: round(sum('tokenizeMs')),
      runMs: round(sum('runMs')),
      poolMs: round(sum('poolMs')),
      paddingShare: round(1 - sum('tokens') / sum('paddedTokens'), 3),
      // q8 quantizes activations per batch, so a vector depends slightly on its batch-mates (padding included).
      minCosineVsEngine: round(minCos, 5),
      meanCosineVsEngine: round(sumCos / texts.length, 5),
      maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
    });
  }
  for (const w of workers) w.postMessage({ type: 'done' });
  const best = runs.reduce((a, b) => (b.chunksPerSec > a.chunksPerSec ? b : a));
  emit({
    step: 'raw-onnx',
    loadavg: loadavg(),
    threads,
    chunks: texts.length,
    runs,
    best: { batchSize: best.batchSize, chunksPerSec: best.chunksPerSec },
  });
});
