#!/usr/bin/env node
// Human-style queries over a repository, searched through the engine with and without its query adapter
// (docs/model-eval.md, "Human-style queries"). After `npx tsc -p .`:
//   node scripts/adapt-human-check.mjs <folder> <indexDir> <queries.json> [modelsDir]
// queries.json: [{"query": "...", "files": ["relative/path.ts", ...]}]. Indexes the folder into indexDir first
// (test/fixtures/** excluded, like the adapt runs). Prints MRR / R@10 and every rank per mode, JSON on stdout.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'out', 'src', 'core');
const { Engine } = require(path.join(out, 'engine.js'));
const { DEFAULT_EXCLUDES } = require(path.join(out, 'discovery.js'));

const [folder, indexDir, qfile, modelsDir] = process.argv.slice(2);
if (!qfile) {
  process.stderr.write('usage: adapt-human-check.mjs <folder> <indexDir> <queries.json> [modelsDir]\n');
  process.exit(2);
}
const qs = JSON.parse(readFileSync(qfile, 'utf8'));
const engine = await Engine.open({ folder, indexDir, threads: 1, ...(modelsDir ? { modelsDir } : {}), exclude: [...DEFAULT_EXCLUDES, 'test/fixtures/**'] });
try {
  await engine.update();
  const result = { adapterActive: engine.adapterActive, queries: qs.length };
  for (const mode of ['vector', 'hybrid'])
    for (const adapter of [false, true]) {
      if (adapter && !engine.adapterActive) continue;
      let rr = 0;
      let r10 = 0;
      const ranks = [];
      for (const q of qs) {
        const hits = await engine.search(q.query, { mode, k: 50, adapter });
        const i = hits.findIndex((h) => q.files.includes(h.path));
        ranks.push(i < 0 ? null : i + 1);
        if (i >= 0) {
          rr += 1 / (i + 1);
          if (i < 10) r10++;
        }
      }
      result[`${mode}${adapter ? '+adapter' : ''}`] = { MRR: +(rr / qs.length).toFixed(4), 'R@10': +(r10 / qs.length).toFixed(4), ranks };
    }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await engine.close();
}
