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
// --real-files: copy c is written as real files (the renamed text), so a watcher and updates see a
// folder that matches the index (the incremental figure at 100k); without it, symlinks.
// In the indexer's order: every file's chunks into the keyword index and one commit, then the vectors,
// committed every --commit-every (default 3,000: the indexer's 30-second checkpoints at ~100 chunks/s);
// then the HNSW snapshot and close, as the engine does. Bytes written (wchar, /proc/self/io) ÷ final size = writes.build.
//
//   node bench/build-synthetic.mjs --dump-dir DIR --real-folder DIR --out DIR --chunks N [--real-files] [--commit-every N] [--index-root DIR]
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
  const { IndexStore, bodyHash, hashText, modelDirName } = core('core/index/store');
  const { fileHashOf } = core('core/indexer');
  const { embeddingText } = core('core/chunking/embedText');
  const realFiles = !!args['real-files'];
  const commitEvery = Number(args['commit-every'] ?? 3_000);
  const wchar = () => Number(/wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);

  const { files } = JSON.parse(readFileSync(path.join(dumpDir, 'chunks.json'), 'utf8'));
  const buf = readFileSync(path.join(dumpDir, 'vectors.f32'));
  const real = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dims = MODEL_KEY.dims;
  if (files.reduce((a, f) => a + f.chunks.length, 0) === 0) throw new Error(`no chunks in ${dumpDir}/chunks.json: the real corpus's dump is empty`);
  let offset = 0;
  for (const f of files) {
    f.offset = offset;
    offset += f.chunks.length;
  }

  rmSync(out, { recursive: true, force: true });
  const folder = path.join(out, 'folder');
  // --index-root: put the index where EngineService looks for it (indexRoot/<folder name>-<hash>).
  const indexDir = args['index-root']
    ? path.join(path.resolve(args['index-root']), path.basename(core('core/paths').defaultIndexDir(folder)))
    : path.join(out, 'index');
  mkdirSync(folder, { recursive: true });

  // Indexes are per model + precision under the folder's index directory (what Engine.open reads).
  const storeDir = path.join(indexDir, modelDirName(MODEL_KEY));
  const wchar0 = wchar();
  const store = IndexStore.create(storeDir, folder, MODEL_KEY);
  store.reserve(target);
  let copyBytes = 0;
  const staged = [];
  let commits = 0;
  const gauss = gaussian(rng(42));
  let lexicalMs = 0;
  let vectorMs = 0;
  let n = 0;
  let copies = 0;
  const t0 = performance.now();
  const v = new Float32Array(dims);
  for (let c = 0; n < target; c++) {
    copies++;
    const rename = renamer(c);
    if (!realFiles) symlinkSync(realFolder, path.join(folder, `copy${c}`), 'dir');
    for (const f of files) {
      if (n >= target) break;
      const take = f.chunks.slice(0, target - n);
      const chunks = take.map((ch) => {
        const text = rename(ch.text);
        const symbol = ch.symbol ? rename(ch.symbol) : undefined;
        return { startLine: ch.startLine, endLine: ch.endLine, ...(symbol ? { symbol } : {}), text, hash: hashText(embeddingText(`copy${c}/${f.rel}`, { symbol, text })), body: bodyHash(text) };
      });
      let t = performance.now();
      let size = f.size;
      let mtimeMs = 0;
      if (realFiles) {
        const file = path.join(folder, `copy${c}`, f.rel);
        mkdirSync(path.dirname(file), { recursive: true });
        const text = rename(readFileSync(path.join(realFolder, f.rel), 'utf8'));
        writeFileSync(file, text);
        copyBytes += Buffer.byteLength(text); // not the index's writes: subtracted from bytesWritten
        const st = statSync(file);
        size = st.size;
        mtimeMs = st.mtimeMs;
      }
      // Hashed as the indexer hashes a file (its chunking's tag first), so an update sees these files as current.
      const records = store.setFile({ path: `copy${c}/${f.rel}`, size, mtimeMs, hash: fileHashOf(`${c}:${f.rel}`) }, chunks);
      lexicalMs += performance.now() - t;
      staged.push({ records, offset: f.offset, copy: c });
      n += records.length;
    }
  }
  // The keyword index is complete before the first vector (the indexer's order): one commit.
  await store.save();
  commits++;
  // Then the vectors, committed every --commit-every (the indexer's 30-second checkpoints).
  let sinceCommit = 0;
  for (const { records, offset: first, copy } of staged) {
    const t = performance.now();
    records.forEach((r, i) => {
      const base = real.subarray((first + i) * dims, (first + i + 1) * dims);
      if (copy === 0) v.set(base);
      else {
        let norm = 0;
        for (let d = 0; d < dims; d++) norm += (v[d] = base[d] + SIGMA * gauss()) ** 2;
        norm = Math.sqrt(norm);
        for (let d = 0; d < dims; d++) v[d] /= norm;
      }
      store.addVector(r.id, v);
    });
    vectorMs += performance.now() - t;
    sinceCommit += records.length;
    if (sinceCommit >= commitEvery) {
      await store.save(); // may start a background snapshot when the delta is large, as in a build
      commits++;
      sinceCommit = 0;
      await new Promise(setImmediate); // the indexer awaits its embedding calls: a background snapshot can finish
    }
  }
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  await store.save();
  const saveMs = performance.now() - t1;
  const t2 = performance.now();
  await store.snapshot(); // what Engine.close does when the delta is large
  const snapshotMs = performance.now() - t2;
  await store.close();
  const written = wchar() - wchar0 - copyBytes;
  const byFile = {};
  for (const name of readdirSync(storeDir)) {
    const kind = name.startsWith('index.db') ? 'sqlite' : name.endsWith('.hnsw') ? 'hnswSnapshot' : name;
    byFile[kind] = (byFile[kind] ?? 0) + statSync(path.join(storeDir, name)).size;
  }
  const diskBytes = Object.values(byFile).reduce((a, b) => a + b, 0);
  const reopened = await IndexStore.open(storeDir, { readOnly: true });
  const counts = { chunks: reopened.chunks.size, files: reopened.files.size, vectors: reopened.vectorIds.size };
  await reopened.close();
  emit({
    step: 'build-synthetic',
    loadavg: loadavg(),
    folder,
    indexDir,
    storeDir,
    ...counts,
    commits,
    realFiles,
    copies,
    realChunks: offset,
    buildSeconds: round(buildMs / 1000, 1),
    lexicalAddSeconds: round(lexicalMs / 1000, 1),
    hnswAddSeconds: round(vectorMs / 1000, 1),
    saveSeconds: round(saveMs / 1000, 2),
    snapshotSeconds: round(snapshotMs / 1000, 2),
    bytesWritten: written,
    writtenPerFinalByte: round(written / diskBytes, 2),
    diskBytes,
    bytesPerChunk: round(diskBytes / counts.chunks, 0),
    bytesPerChunkByFile: Object.fromEntries(Object.entries(byFile).map(([k, b]) => [k, round(b / counts.chunks, 0)])),
    diskBytesByFile: byFile,
    rssMB: mb(process.memoryUsage.rss()),
  });
});
