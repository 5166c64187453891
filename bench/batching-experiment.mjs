// Experiment (not part of `npm run bench`): what batch size should the indexer use? Embeds the dumped
// real chunks through the product's own embedding path (loadModel from core/embedding/transformers:
// transformers.js pipeline, 1 intra-op thread like one embedding worker), length-sorted like the
// indexer's waves, at several batch limits, and reports chunks/s and peak RSS for each. Each
// configuration runs in its own process so peak RSS is per configuration.
//
//   node bench/batching-experiment.mjs --dump-dir DIR [--batches 1,2,4,8,32] [--max-chars 32768] [--limit N]
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { core, emit, loadavg, main, modelSource, parseArgs, round, runStep } from './lib.mjs';

main(async () => {
  const args = parseArgs();
  const dumpDir = path.resolve(args['dump-dir']);
  if (args.child) {
    const batch = Number(args.batch);
    const maxChars = Number(args['max-chars'] ?? 32768);
    const { loadModel } = core('core/embedding/transformers');
    const model = await loadModel(modelSource(), 1);
    await model.embed(['warm up']);
    const { files } = JSON.parse(readFileSync(path.join(dumpDir, 'chunks.json'), 'utf8'));
    let all = files.flatMap((f) => f.chunks.map((c) => c.text));
    const limit = Number(args.limit ?? 0);
    if (limit && all.length > limit) all = Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)]);
    const texts = all.sort((a, b) => a.length - b.length);
    // The indexer's batching rule (items and padded characters), with the item limit varied.
    const batches = [];
    let cur = [];
    for (const t of texts) {
      if (cur.length > 0 && (cur.length >= batch || t.length * (cur.length + 1) > maxChars)) {
        batches.push(cur);
        cur = [];
      }
      cur.push(t);
    }
    if (cur.length) batches.push(cur);
    const t0 = performance.now();
    for (const b of batches) await model.embed(b);
    const s = (performance.now() - t0) / 1000;
    await model.dispose();
    emit({ batch, maxChars, chunks: texts.length, batches: batches.length, chunksPerSec: round(texts.length / s, 1), maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1), loadavg: loadavg() });
    return;
  }
  const out = [];
  for (const b of String(args.batches ?? '1,2,4,8,32').split(',')) {
    out.push(await runStep('batching-experiment.mjs', ['--child', '--dump-dir', dumpDir, '--batch', b, ...(args['max-chars'] ? ['--max-chars', String(args['max-chars'])] : []), ...(args.limit ? ['--limit', String(args.limit)] : [])]));
  }
  emit({ step: 'batching-experiment', runs: out.map(({ batch, chunksPerSec, maxRssMB, loadavgStart }) => ({ batch, chunksPerSec, maxRssMB, load1: loadavgStart[0] })) });
});
