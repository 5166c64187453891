// Step: how soon a fresh repository can be searched (issue 14, firstSearch). A fresh process opens a
// folder of N files (the first N of the real corpus in path order, copied) that has no index, and runs
// Engine.update — model load, discovery, reading, chunking, the keyword commit, then embedding — as
// the CLI and the extension's engine do. Meanwhile a hybrid search for an identifier defined in one of
// the files (the oldest: chunked last) is polled every 25 ms; the clock stops when that file is a hit.
// Then the time until every chunk has a vector. All times from the start of Engine.open.
//
//   node bench/first-search.mjs --real-folder DIR --out DIR [--files 200]
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import { core, emit, loadavg, main, mb, MODEL_ID, DTYPE, parseArgs, round } from './lib.mjs';

/** Files under `dir` (relative, '/'-separated), in path order. */
function walk(dir, rel = '') {
  const out = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

main(async () => {
  const args = parseArgs();
  const realFolder = path.resolve(args['real-folder']);
  const out = path.resolve(args.out);
  const nFiles = Number(args.files ?? 200);
  const { Engine } = core('core/engine');

  rmSync(out, { recursive: true, force: true });
  const folder = path.join(out, 'folder');
  const files = walk(realFolder).slice(0, nFiles);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(folder, f)), { recursive: true });
    cpSync(path.join(realFolder, f), path.join(folder, f));
  }
  // The target: a function defined in one file, made the oldest (the indexer chunks newest first), so it
  // is found only once the keyword index holds every file.
  let target;
  for (const f of files) {
    const m = /\bfunction\s+([A-Za-z_]\w{7,})/.exec(readFileSync(path.join(folder, f), 'utf8'));
    if (m) {
      target = { path: f, name: m[1] };
      break;
    }
  }
  if (!target) throw new Error(`no function definition found in the ${files.length} files copied from ${realFolder}`);
  const old = new Date('2001-01-01T00:00:00Z');
  utimesSync(path.join(folder, target.path), old, old);

  const t0 = performance.now();
  const since = () => round(performance.now() - t0, 0);
  const engine = await Engine.open({ folder, indexDir: path.join(out, 'index'), modelId: MODEL_ID, dtype: DTYPE });
  const openMs = since();
  const phases = {};
  let chunkedMs;
  const updating = engine.update({
    onProgress: (p) => {
      phases[p.phase] ??= since();
      if (p.phase === 'chunking' && p.total > 0 && p.done === p.total) chunkedMs ??= since();
    },
  });
  let done = false;
  updating.finally(() => (done = true)).catch(() => undefined);
  let keywordMs;
  let polls = 0;
  while (!done && keywordMs === undefined) {
    polls++;
    const hits = await engine.search(target.name, { k: 10 });
    if (hits.some((h) => h.path === target.path)) keywordMs = since();
    else await new Promise((r) => setTimeout(r, 25));
  }
  const summary = await updating;
  const vectorsMs = since();
  if (keywordMs === undefined) {
    const hits = await engine.search(target.name, { k: 10 });
    if (hits.some((h) => h.path === target.path)) keywordMs = vectorsMs;
  }
  await engine.close();
  emit({
    step: 'first-search',
    loadavg: loadavg(),
    files: summary.files,
    chunks: summary.chunks,
    embedded: summary.embedded,
    target,
    polls,
    openMs,
    phasesMs: phases,
    keywordSearchableMs: keywordMs,
    // Every file chunked (the keyword commit follows at once).
    allChunkedMs: chunkedMs,
    allVectorsMs: vectorsMs,
    chunksPerSec: round(summary.embedded / (vectorsMs / 1000), 1),
    rssMB: mb(process.memoryUsage.rss()),
  });
});
