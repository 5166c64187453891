// Step (fresh process): where IndexStore.open spends its time, step by step, redoing what it does with
// the same libraries (the product code is not changed): read + SHA-256 of each data file, JSON.parse of
// the metadata, rebuilding the chunk maps, reading the HNSW graph, MiniSearch.loadJSON of the lexical
// index, the integrity check. Also the sizes of the big JSON structures.
//
//   node bench/open-profile.mjs --index-dir DIR
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { core, emit, loadavg, main, parseArgs, require, round } from './lib.mjs';

main(async () => {
  const args = parseArgs();
  const dir = path.resolve(args['index-dir']);
  const { HierarchicalNSW } = require('hnswlib-node');
  const { LexicalIndex } = core('core/index/lexical');
  const { IndexStore } = core('core/index/store');
  const ms = {};
  const time = async (name, fn) => {
    const t = performance.now();
    const v = await fn();
    ms[name] = round((ms[name] ?? 0) + performance.now() - t);
    return v;
  };

  const manifest = await time('manifest', async () => JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')));
  const bufs = {};
  for (const [key, entry] of Object.entries(manifest.files)) {
    bufs[key] = await time(`read.${key}`, () => fs.readFile(path.join(dir, entry.name)));
    await time(`sha256.${key}`, () => createHash('sha256').update(bufs[key]).digest('hex'));
  }
  const metaText = await time('meta.decode', () => bufs.meta.toString('utf8'));
  const meta = await time('meta.JSON.parse', () => JSON.parse(metaText));
  await time('meta.buildMaps', () => {
    // What IndexStore.open does with the rows: file records, chunk records, the hash index.
    const files = new Map();
    const chunks = new Map();
    const byHash = new Map();
    const paths = [];
    for (const [p, size, mtimeMs, hash] of meta.files) {
      paths.push(p);
      files.set(p, { path: p, size, mtimeMs, hash, chunks: [] });
    }
    for (const [id, fi, startLine, endLine, hash, symbol] of meta.chunks) {
      const p = paths[fi];
      chunks.set(id, { id, path: p, startLine, endLine, hash, ...(symbol ? { symbol } : {}) });
      files.get(p).chunks.push(id);
      let s = byHash.get(hash);
      if (!s) byHash.set(hash, (s = new Set()));
      s.add(id);
    }
    const v = new Set(meta.vectors);
    return v.size;
  });
  const graph = await time('hnsw.readIndexSync', () => {
    const g = new HierarchicalNSW('ip', manifest.model.dims);
    g.readIndexSync(path.join(dir, manifest.files.vectors.name), true);
    return g;
  });
  await time('hnsw.getIdsList', () => graph.getIdsList().length);
  const lexText = await time('lexical.decode', () => bufs.lexical.toString('utf8'));
  const lexRaw = await time('lexical.JSON.parse(only)', () => JSON.parse(lexText));
  await time('lexical.MiniSearch.loadJSON', () => LexicalIndex.fromJSON(lexText));
  const store = await time('IndexStore.open(total, warm)', () => IndexStore.open(dir));
  await time('checkIntegrity', () => store.checkIntegrity());

  const lexFields = Object.fromEntries(Object.entries(lexRaw).map(([k, v]) => [k, Buffer.byteLength(JSON.stringify(v))]));
  emit({
    step: 'open-profile',
    loadavg: loadavg(),
    chunks: meta.chunks.length,
    bytes: Object.fromEntries(Object.entries(bufs).map(([k, b]) => [k, b.length])),
    ms,
    lexicalJsonBytesByField: lexFields,
    lexicalTerms: lexRaw.index?.length,
  });
});
