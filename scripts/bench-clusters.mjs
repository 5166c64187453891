#!/usr/bin/env node
// Timings of clustering on synthetic indexes: N files (3 chunks each) with 384-dim vectors around
// 12 planted topics, small text files on disk for the labels. For k-means (auto k) and hierarchical
// (auto k): a full computation, then an update after one file is edited (ClusterModel, incremental).
// Also the scaling of direct agnes (no micro-clusters). Prints JSON.
//
//   npx tsc -p . && node scripts/bench-clusters.mjs [--sizes 1000,5000,10000] [--direct 500,1000,2000]
//
// Timings are wall-clock on whatever else the machine is doing (noisy on a shared 2-core box).
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const C = require(path.join(root, 'out/src/core/cluster/index.js'));
const { hashText } = require(path.join(root, 'out/src/core/index/store.js'));
const { normalized, seededRandom } = require(path.join(root, 'out/src/core/cluster/vecmath.js'));

const { values } = parseArgs({ options: { sizes: { type: 'string' }, direct: { type: 'string' }, topics: { type: 'string' } } });
const sizes = (values.sizes ?? '1000,5000,10000').split(',').map(Number);
const directSizes = (values.direct ?? '500,1000,2000').split(',').filter(Boolean).map(Number);
const TOPICS = Number(values.topics ?? 12);
const DIMS = 384;
const CHUNKS = 3;

const rnd = seededRandom(2024);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
const centres = Array.from({ length: TOPICS }, () => normalized(Array.from({ length: DIMS }, gauss)));
const vocab = Array.from({ length: TOPICS }, (_, t) => Array.from({ length: 8 }, (_, w) => `topic${String.fromCharCode(97 + t)}word${String.fromCharCode(97 + w)}`));
const chunkVector = (t) => Float32Array.from(normalized(centres[t].map((x) => x + 0.06 * gauss())));
const text = (t, i, salt = '') =>
  Array.from({ length: 40 }, (_, l) => `function ${vocab[t][(i + l) % 8]}Handler(value) { return ${vocab[t][(i + 3 * l) % 8]}_helper(value, config); } ${salt}`).join('\n');

class SyntheticIndex {
  constructor(folder) {
    this.folder = folder;
    this.files = new Map();
    this.chunks = new Map();
    this.vectors = new Map();
    this.nextId = 1;
  }
  vectorOf(id) {
    return this.vectors.get(id);
  }
  put(rel, t, body) {
    const abs = path.join(this.folder, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, body);
    for (const id of this.files.get(rel)?.chunks ?? []) {
      this.chunks.delete(id);
      this.vectors.delete(id);
    }
    const ids = [];
    for (let c = 0; c < CHUNKS; c++) {
      const id = this.nextId++;
      this.chunks.set(id, { id, path: rel, startLine: c * 13 + 1, endLine: c * 13 + 13, hash: hashText(`${rel}#${c}#${body}`) });
      this.vectors.set(id, chunkVector(t));
      ids.push(id);
    }
    this.files.set(rel, { path: rel, size: body.length, mtimeMs: 0, hash: hashText(body), chunks: ids });
  }
}

function agreement(r, truth) {
  const pred = [];
  const gold = [];
  for (const c of r.clusters) for (const f of c.files) {
    pred.push(c.id);
    gold.push(truth.get(f.path));
  }
  return Math.round(C.adjustedRandIndex(pred, gold) * 1000) / 1000;
}

const mb = () => Math.round(process.memoryUsage().rss / 1048576);
const out = { machine: { cpus: os.cpus().length, node: process.version }, topics: TOPICS, dims: DIMS, chunksPerFile: CHUNKS, runs: [], directAgnes: [] };

for (const n of sizes) {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'kindred-bench-clusters-'));
  try {
    const index = new SyntheticIndex(folder);
    const truth = new Map();
    for (let i = 0; i < n; i++) {
      const t = i % TOPICS;
      const rel = `t${t}/d${i % 7}/file${i}.ts`;
      truth.set(rel, t);
      index.put(rel, t, text(t, i));
    }
    for (const method of ['kmeans', 'hierarchical']) {
      const model = new C.ClusterModel();
      const full = await model.compute(index, { method, k: 'auto' });
      // One edited file: new content, new vectors (same topic).
      const rel = `t1/d${1 % 7}/file1.ts`;
      index.put(rel, 1, text(1, 1, `// edited ${Date.now()}`));
      const inc = await model.compute(index, { method, k: 'auto' });
      out.runs.push({
        n,
        method,
        k: full.k,
        ari: agreement(full, truth),
        silhouette: full.silhouette,
        fullMs: full.timings,
        incrementalMs: inc.timings,
        incremental: inc.incremental,
        incrementalAri: agreement(inc, truth),
        rssMB: mb(),
      });
      process.stderr.write(`${n} ${method}: full ${full.timings.total} ms, incremental ${inc.timings.total} ms (k=${full.k})\n`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

// Direct agnes (what hierarchical would cost without micro-clusters): O(n²) memory, O(n³) time in ml-hclust.
for (const n of directSizes) {
  const vectors = Array.from({ length: n }, (_, i) => normalized(centres[i % TOPICS].map((x) => x + 0.06 * gauss())));
  const before = mb();
  const t = performance.now();
  C.buildTree(vectors, { maxLeaves: Infinity });
  out.directAgnes.push({ n, ms: Math.round(performance.now() - t), rssMB: mb(), rssBeforeMB: before });
  process.stderr.write(`direct agnes ${n}: ${Math.round(performance.now() - t)} ms\n`);
}
if (out.directAgnes.length >= 2) {
  const [a, b] = out.directAgnes.slice(-2);
  const exp = Math.log(b.ms / a.ms) / Math.log(b.n / a.n);
  out.directAgnesExtrapolated = [5000, 10000].map((n) => ({ n, exponent: Math.round(exp * 100) / 100, estimatedSeconds: Math.round((b.ms * (n / b.n) ** exp) / 1000), distanceMatrixMB: Math.round((n * n * 8) / 1048576) }));
}
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
