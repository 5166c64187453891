#!/usr/bin/env node
// Check provisioned models with transformers.js against the PyTorch reference embeddings convert.py stored.
//
//   node scripts/models/verify.mjs [--model ID]...
//
// Without --model: every model of models.json that is provisioned in <cache>/models (at least one must be).
// Loads each with @huggingface/transformers offline (allowRemoteModels=false, localModelPath=<cache>/models),
// embeds the reference sentences with dtype fp32 and q8 and the model's pooling/normalize, and prints the
// cosine agreement as JSON on stdout. Exit 1 if fp32 < 0.999 or q8 < 0.95 on any sentence, or on any error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const THRESHOLDS = { fp32: 0.999, q8: 0.95 };

function cacheRoot() {
  const env = process.env.KINDRED_CACHE_DIR;
  return path.resolve(env && env.trim() ? env : path.join(os.homedir(), '.cache', 'kindred'));
}

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

async function main() {
  const requested = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model' && argv[i + 1]) requested.push(argv[++i]);
    else if (argv[i].startsWith('--model=')) requested.push(argv[i].slice(8));
    else throw new Error(`unknown argument ${argv[i]} (usage: verify.mjs [--model ID]...)`);
  }
  const registry = JSON.parse(fs.readFileSync(path.join(HERE, 'models.json'), 'utf8'));
  const root = path.join(cacheRoot(), 'models');
  const isProvisioned = (id) => fs.existsSync(path.join(root, ...id.split('/'), 'kindred-reference.json'));
  let entries;
  if (requested.length) {
    entries = requested.map((id) => {
      const e = registry.models.find((m) => m.id === id);
      if (!e) throw new Error(`unknown model ${id}`);
      if (!e.available) throw new Error(`${id} cannot be provisioned offline: ${e.unavailableReason}`);
      if (!isProvisioned(id)) throw new Error(`${id} is not provisioned in ${root}; run: node scripts/models/setup-models.mjs --model ${id}`);
      return e;
    });
  } else {
    entries = registry.models.filter((m) => isProvisioned(m.id));
    if (!entries.length) throw new Error(`no provisioned model in ${root}; run: node scripts/models/setup-models.mjs`);
  }

  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root + path.sep;

  const report = { modelsRoot: root, thresholds: THRESHOLDS, models: {} };
  let ok = true;
  for (const entry of entries) {
    const ref = JSON.parse(fs.readFileSync(path.join(root, ...entry.id.split('/'), 'kindred-reference.json'), 'utf8'));
    const r = {};
    for (const dtype of ['fp32', 'q8']) {
      const t0 = performance.now();
      const extractor = await pipeline('feature-extraction', entry.id, { dtype });
      const out = await extractor(ref.sentences, { pooling: entry.pooling, normalize: entry.normalize });
      const rows = out.tolist();
      const cos = rows.map((row, i) => cosine(row, ref.embeddings[i]));
      const min = Math.min(...cos);
      const pass = min >= THRESHOLDS[dtype] && rows[0].length === entry.dims;
      ok &&= pass;
      r[dtype] = {
        minCos: Number(min.toFixed(6)),
        meanCos: Number((cos.reduce((a, b) => a + b, 0) / cos.length).toFixed(6)),
        dims: rows[0].length,
        ms: Math.round(performance.now() - t0),
        pass,
      };
      await extractor.dispose();
    }
    report.models[entry.id] = r;
  }
  report.ok = ok;
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`verify: error: ${String(e?.message ?? e).split('\n')[0]}\n`);
  process.exit(1);
});
