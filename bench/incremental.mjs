// Step: save-to-searchable latency through EngineService, the extension's engine-worker logic (real
// chokidar watcher, 300 ms debounce, incremental update), on the real corpus already indexed by
// index-real. Each save writes a file with a new uniquely named function (alternately appended to an
// existing source file and written as a new file); then a hybrid search for its name is polled every
// 50 ms through the service, as the extension would ask it. Two times per save:
//   visible    the new function is among the hits (BM25 side: chunks enter the lexical index first);
//   embedded   it is among the hits and its chunk has its vector (fully searchable by meaning).
//
// Also the bytes this process writes per save (wchar from /proc/self/io, minus the edited file's own
// bytes): everything the index writes for a one-file edit (SQLite WAL + checkpoint, snapshot if any).
// --edit-dir: where the edited TypeScript files are (default src; copy0/src for a synthetic folder).
//
//   node bench/incremental.mjs --folder DIR --index-root DIR [--saves 10] [--edit-dir REL]
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { core, emit, loadavg, main, MODEL_ID, DTYPE, parseArgs, round, stats } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wchar = () => Number(/wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);

main(async () => {
  const args = parseArgs();
  const folder = path.resolve(args.folder);
  const indexRoot = path.resolve(args['index-root']);
  const saves = Number(args.saves ?? 10);
  const { EngineService } = core('worker/engineService');
  const { DEFAULT_EXCLUDES } = core('core/discovery');

  const events = { status: 0, log: [] };
  const service = new EngineService((e) => {
    if (e.event === 'status') events.status++;
    else if (e.event === 'log' && e.level === 'warn') events.log.push(e.message);
  });
  const t0 = performance.now();
  await service.handle('configure', {
    folders: [{ path: folder, name: path.basename(folder) }],
    modelId: MODEL_ID,
    dtype: DTYPE,
    allowDownload: false,
    threads: 0,
    exclude: [...DEFAULT_EXCLUDES],
    maxFileBytes: 1024 * 1024,
    indexOnStartup: true,
    indexRoot,
  });
  const initial = await service.handle('flush', {});
  const startupMs = performance.now() - t0;
  const engine = service.engineFor(folder);
  await sleep(1000); // let the watcher settle

  // Existing TypeScript files of moderate size to edit.
  const srcFiles = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) {
        const size = statSync(p).size;
        if (size > 2000 && size < 20000) srcFiles.push(p);
      }
    }
  };
  walk(path.join(folder, args['edit-dir'] ?? 'src'));
  srcFiles.sort();
  const originals = new Map();
  const created = [];
  const results = [];
  for (let i = 0; i < saves; i++) {
    const symbol = `benchProbe${i}X${Math.random().toString(36).slice(2, 8)}`;
    const body = `\n/** Computes a rolling checksum of a probe payload (benchmark edit ${i}). */\nexport function ${symbol}(input: string): number {\n  let h = ${i};\n  for (const ch of input) h = (h * 31 + ch.charCodeAt(0)) | 0;\n  return h;\n}\n`;
    const edit = i % 2 === 0;
    const file = edit ? srcFiles[Math.floor((i / 2) * (srcFiles.length / Math.ceil(saves / 2))) % srcFiles.length] : path.join(folder, args['edit-dir'] ?? 'src', `benchProbe${i}.ts`);
    if (edit && !originals.has(file)) originals.set(file, readFileSync(file, 'utf8'));
    if (!edit) created.push(file);
    const content = edit ? readFileSync(file, 'utf8') + body : `// benchmark probe file\n${body}`;
    const wchar0 = wchar();
    const start = performance.now();
    writeFileSync(file, content);
    let visible;
    let embedded;
    let polls = 0;
    while (performance.now() - start < 30_000) {
      polls++;
      const hits = await service.handle('search', { query: symbol, k: 5 });
      const hit = hits.find((h) => h.symbol === symbol || h.preview.includes(symbol));
      const now = performance.now() - start;
      if (hit) {
        visible ??= now;
        if (engine.index.vectorIds.has(hit.id)) {
          embedded = now;
          break;
        }
      }
      await sleep(50);
    }
    await service.handle('flush', {});
    await sleep(700);
    const indexBytes = wchar() - wchar0 - Buffer.byteLength(content);
    results.push({ kind: edit ? 'edit' : 'new', file: path.relative(folder, file), visibleMs: round(visible), embeddedMs: round(embedded), polls, indexBytesWritten: indexBytes });
  }
  const st = await service.handle('status', {});
  await service.dispose();
  for (const [f, text] of originals) writeFileSync(f, text);
  for (const f of created) rmSync(f, { force: true });

  const vis = results.map((r) => r.visibleMs).filter((x) => x !== undefined);
  const emb = results.map((r) => r.embeddedMs).filter((x) => x !== undefined);
  emit({
    step: 'incremental',
    loadavg: loadavg(),
    chunks: st.folders[0]?.chunks,
    files: st.folders[0]?.files,
    startupMs: round(startupMs),
    initialState: initial.state,
    saves: results.length,
    notFound: results.filter((r) => r.embeddedMs === undefined).length,
    visible: stats(vis),
    embedded: stats(emb),
    indexBytesWritten: stats(results.map((r) => r.indexBytesWritten), 0),
    editBytesWritten: stats(results.filter((r) => r.kind === 'edit').map((r) => r.indexBytesWritten), 0),
    perSave: results,
    statusEvents: events.status,
    warnings: events.log.slice(0, 5),
  });
});
