#!/usr/bin/env node
// Rough embedding throughput of provisioned models with transformers.js (Node, onnxruntime-node CPU).
//
//   node scripts/models/bench.mjs [--model ID] [--chunks 100] [--tokens 200] [--batch 16] [--threads N]
//
// Chunks are real source text (transformers.js's own src/*.js) cut to about --tokens tokens each.
// Prints JSON with chunks/s for dtype fp32 and q8.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = { model: null, chunks: 100, tokens: 200, batch: 16, threads: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in args) || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
  args[k] = k === 'model' ? argv[i + 1] : Number(argv[i + 1]);
}
const registry = JSON.parse(fs.readFileSync(path.join(HERE, 'models.json'), 'utf8'));
const entry = registry.models.find((m) => m.id === (args.model ?? registry.default));
if (!entry) throw new Error(`unknown model ${args.model}`);

const cache = process.env.KINDRED_CACHE_DIR?.trim() || path.join(os.homedir(), '.cache', 'kindred');
const { env, pipeline, AutoTokenizer } = await import('@huggingface/transformers');
env.allowRemoteModels = false;
env.localModelPath = path.join(path.resolve(cache), 'models') + path.sep;

// Source text: transformers.js's own sources.
const require = createRequire(import.meta.url);
const mainFile = require.resolve('@huggingface/transformers');
const pkgName = `@huggingface${path.sep}transformers`;
const srcDir = path.join(mainFile.slice(0, mainFile.lastIndexOf(pkgName) + pkgName.length), 'src');
const files = fs.readdirSync(srcDir, { recursive: true }).filter((f) => f.endsWith('.js')).sort();
const tokenizer = await AutoTokenizer.from_pretrained(entry.id);
const chunks = [];
for (const f of files) {
  const lines = fs.readFileSync(path.join(srcDir, f), 'utf8').split('\n');
  let cur = [];
  for (const line of lines) {
    cur.push(line);
    if (tokenizer.encode(cur.join('\n')).length >= args.tokens) {
      chunks.push(cur.join('\n'));
      cur = [];
      if (chunks.length >= args.chunks) break;
    }
  }
  if (chunks.length >= args.chunks) break;
}
const lens = chunks.map((c) => tokenizer.encode(c).length);
const result = {
  model: entry.id,
  chunks: chunks.length,
  meanTokens: Math.round(lens.reduce((a, b) => a + b, 0) / lens.length),
  batch: args.batch,
  cpus: os.cpus().length,
};
const sessionOptions = args.threads ? { intraOpNumThreads: args.threads, interOpNumThreads: 1 } : undefined;
for (const dtype of ['fp32', 'q8']) {
  const extractor = await pipeline('feature-extraction', entry.id, { dtype, session_options: sessionOptions });
  await extractor(chunks.slice(0, args.batch), { pooling: entry.pooling, normalize: entry.normalize }); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < chunks.length; i += args.batch) {
    await extractor(chunks.slice(i, i + args.batch), { pooling: entry.pooling, normalize: entry.normalize });
  }
  const s = (performance.now() - t0) / 1000;
  result[dtype] = { seconds: Number(s.toFixed(2)), chunksPerSec: Number((chunks.length / s).toFixed(1)) };
  await extractor.dispose();
}
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
