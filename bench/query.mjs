// Step: query latency on an index (the synthetic 10k/100k ones). Opens an Engine on it (default
// threads, real model) and times, per query:
//   * search (hybrid) through Engine.search: query embedding + BM25 + HNSW + fusion + previews;
//   * the same without the query embedding (rank() + toHits() with the query's vector computed before);
//   * find-similar through Engine.similar on a real chunk (reads the lines, embeds them as a passage,
//     vector search excluding the selection, previews), and the same without the embedding;
//   * the parts: query embedding, passage embedding, BM25 alone, HNSW alone.
//
//   node bench/query.mjs --folder DIR --index-dir DIR --dump-dir DIR [--rounds 2] [--similar 40]
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { core, emit, loadavg, main, MODEL_ID, DTYPE, modelSource, parseArgs, rng, stats } from './lib.mjs';
import { QUERIES } from './queries.mjs';

main(async () => {
  const args = parseArgs();
  const folder = path.resolve(args.folder);
  const indexDir = path.resolve(args['index-dir']);
  const rounds = Number(args.rounds ?? 2);
  const nSimilar = Number(args.similar ?? 40);
  const { Engine } = core('core/engine');
  const { ModelRuntime } = core('core/embedding/runtime');
  const { rank, toHits } = core('core/search');

  const runtime = await ModelRuntime.start(modelSource());
  const engine = await Engine.open({ folder, indexDir, modelId: MODEL_ID, dtype: DTYPE }, runtime);
  const store = engine.index;
  const chunks = store.chunks.size;

  // Find-similar selections: real chunks of copy 0 (the real files), at least 3 lines.
  const { files } = JSON.parse(readFileSync(path.join(path.resolve(args['dump-dir']), 'chunks.json'), 'utf8'));
  const candidates = files.flatMap((f) => f.chunks.filter((c) => c.endLine - c.startLine >= 2).map((c) => ({ rel: `copy0/${f.rel}`, ...c })));
  const rand = rng(7);
  const selections = Array.from({ length: nSimilar }, () => candidates[Math.floor(rand() * candidates.length)]);

  // Warm-up (JIT, session arenas, page cache).
  for (const q of QUERIES.slice(0, 5)) await engine.search(q);
  for (const s of selections.slice(0, 3)) await engine.similar(s.rel, s.startLine, s.endLine);

  const t = {
    searchTotal: [],
    searchNoEmbed: [],
    queryEmbed: [],
    rankHybrid: [],
    bm25: [],
    bm25Matches: [],
    hnsw: [],
    similarTotal: [],
    similarNoEmbed: [],
    passageEmbed: [],
  };
  let emptyResults = 0;
  for (let r = 0; r < rounds; r++) {
    for (const q of QUERIES) {
      let s = performance.now();
      const hits = await engine.search(q, { k: 10 });
      t.searchTotal.push(performance.now() - s);
      if (hits.length === 0) emptyResults++;
      s = performance.now();
      const vec = await runtime.embedQuery(q);
      t.queryEmbed.push(performance.now() - s);
      s = performance.now();
      await toHits(store, folder, rank(store, q, vec, { k: 10, mode: 'hybrid' }));
      t.searchNoEmbed.push(performance.now() - s);
      s = performance.now();
      rank(store, q, vec, { k: 10, mode: 'hybrid' });
      t.rankHybrid.push(performance.now() - s);
      s = performance.now();
      store.lexical.search(q, 200);
      t.bm25.push(performance.now() - s);
      // How many chunks match the query's terms (FTS5 scores all of them in C, OR semantics; top-k by ORDER BY rank LIMIT).
      if (r === 0) t.bm25Matches.push(store.lexical.search(q, 1e9).length);
      s = performance.now();
      store.nearest(vec, 200);
      t.hnsw.push(performance.now() - s);
    }
  }
  for (const sel of selections) {
    let s = performance.now();
    await engine.similar(sel.rel, sel.startLine, sel.endLine, { k: 10 });
    t.similarTotal.push(performance.now() - s);
    s = performance.now();
    const [vec] = await runtime.embedPassages([sel.text]);
    t.passageEmbed.push(performance.now() - s);
    s = performance.now();
    const filter = (id) => {
      const c = store.chunks.get(id);
      return !!c && !(c.path === sel.rel && c.startLine <= sel.endLine && sel.startLine <= c.endLine);
    };
    await toHits(store, folder, rank(store, sel.text, vec, { k: 10, mode: 'vector', filter }));
    t.similarNoEmbed.push(performance.now() - s);
  }
  await engine.close();
  await runtime.close();
  emit({
    step: 'query',
    loadavg: loadavg(),
    chunks,
    queries: QUERIES.length * rounds,
    similarSelections: selections.length,
    emptyResults,
    ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)])),
  });
});
