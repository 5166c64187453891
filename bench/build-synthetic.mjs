// Step: a large synthetic index, built cheaply but through the product's own IndexStore
// (setFile + addVector + save, so the files on disk are exactly what the engine writes).
//
// The real corpus (its chunks and real vectors, from index-real) is replicated until N chunks:
//   * copy c of file F is indexed as `copy<c>/F`; the folder holds `copy<c>` → real corpus symlinks,
//     so previews and find-similar read real files with the right line ranges;
//   * copy 0 keeps the real texts and vectors; copies c ≥ 1 rename ~30% of the identifiers
//     (deterministically per copy: `parseConfig` → `parseConfigQ7`) so the BM25 vocabulary grows like
//     a bigger codebase's, and get the real vector plus Gaussian noise (σ = 0.025 per dimension,
//     cosine ≈ 0.9 to the original), renormalized: clusters of near-duplicates around real code.
//
//   node bench/build-synthetic.mjs --dump-dir DIR --real-folder DIR --out DIR --chunks N
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { core, emit, gaussian, loadavg, main, mb, MODEL_KEY, parseArgs, rng, round } from './lib.mjs';

const SIGMA = 0.025;
const RENAME_SHARE = 0.3;

/** FNV-1a, for deterministic per-(copy, identifier) choices. */
function fnv(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function renamer(copy) {
  if (copy === 0) return (s) => s;
  const tag = `Q${copy}`;
  return (s) => s.replace(/\b[A-Za-z_][A-Za-z0-9_]{3,}\b/g, (w) => (fnv(`${copy}:${w}`) / 4294967296 < RENAME_SHARE ? w + tag : w));
}

main(async () => {
  const args = parseArgs();
  const dumpDir = path.resolve(args['dump-dir']);
  const realFolder = path.resolve(args['real-folder']);
  const out = path.resolve(args.out);
  const target = Number(args.chunks);
  const { IndexStore, hashText } = core('core/index/store');

  const { files } = JSON.parse(readFileSync(path.join(dumpDir, 'chunks.json'), 'utf8'));
  const buf = readFileSync(path.join(dumpDir, 'vectors.f32'));
  const real = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dims = MODEL_KEY.dims;
  let offset = 0;
  for (const f of files) {
    f.offset = offset;
    offset += f.chunks.length;
  }

  rmSync(out, { recursive: true, force: true });
  const folder = path.join(out, 'folder');
  const indexDir = path.join(out, 'index');
  mkdirSync(folder, { recursive: true });

  const store = IndexStore.create(indexDir, folder, MODEL_KEY);
  const gauss = gaussian(rng(42));
  let lexicalMs = 0;
  let vectorMs = 0;
  let n = 0;
  let copies = 0;
  const t0 = performance.now();
  const v = new Float32Array(dims);
  for (let c = 0; n < target; c++) {
    copies++;
    symlinkSync(realFolder, path.join(folder, `copy${c}`), 'dir');
    const rename = renamer(c);
    for (const f of files) {
      if (n >= target) break;
      const take = f.chunks.slice(0, target - n);
      const chunks = take.map((ch) => {
        const text = rename(ch.text);
        return { startLine: ch.startLine, endLine: ch.endLine, ...(ch.symbol ? { symbol: rename(ch.symbol) } : {}), text, hash: hashText(text) };
      });
      let t = performance.now();
      const records = store.setFile({ path: `copy${c}/${f.rel}`, size: f.size, mtimeMs: 0, hash: hashText(`${c}:${f.rel}`) }, chunks);
      lexicalMs += performance.now() - t;
      t = performance.now();
      records.forEach((r, i) => {
        const base = real.subarray((f.offset + i) * dims, (f.offset + i + 1) * dims);
        if (c === 0) v.set(base);
        else {
          let norm = 0;
          for (let d = 0; d < dims; d++) norm += (v[d] = base[d] + SIGMA * gauss()) ** 2;
          norm = Math.sqrt(norm);
          for (let d = 0; d < dims; d++) v[d] /= norm;
        }
        store.addVector(r.id, v);
      });
      vectorMs += performance.now() - t;
      n += records.length;
    }
  }
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  await store.save();
  const saveMs = performance.now() - t1;
  const manifest = JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8'));
  const diskBytes = await store.diskBytes();
  const byFile = Object.fromEntries(Object.entries(manifest.files).map(([k, e]) => [k, e.bytes]));
  byFile.manifest = Buffer.byteLength(readFileSync(path.join(indexDir, 'manifest.json')));
  emit({
    step: 'build-synthetic',
    loadavg: loadavg(),
    folder,
    indexDir,
    chunks: store.chunks.size,
    files: store.files.size,
    vectors: store.vectorIds.size,
    copies,
    realChunks: offset,
    buildSeconds: round(buildMs / 1000, 1),
    lexicalAddSeconds: round(lexicalMs / 1000, 1),
    hnswAddSeconds: round(vectorMs / 1000, 1),
    saveSeconds: round(saveMs / 1000, 2),
    diskBytes,
    bytesPerChunk: round(diskBytes / store.chunks.size, 0),
    bytesPerChunkByFile: Object.fromEntries(Object.entries(byFile).map(([k, b]) => [k, round(b / store.chunks.size, 0)])),
    diskBytesByFile: byFile,
    rssMB: mb(process.memoryUsage.rss()),
  });
});
