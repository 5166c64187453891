#!/usr/bin/env node
// Measures what the relevance floor (src/core/ranking/floor.ts) is decided from: for real queries and for
// nonsense / off-topic queries, the best raw cosine similarity of the query to any chunk, and how far that best
// chunk stands out from the next ones. Real queries: the labelled queries of ../shared/eval/repos (indexes kept
// by `kindred eval repos` in <cache>/eval-repos, opened read-only) and the test fixtures' queries.
// Usage: npm run build && node scripts/measure-floor.mjs [--repos DIR] [--json]
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Engine } = require(path.join(root, 'out/src/core/engine.js'));
const { ModelRuntime } = require(path.join(root, 'out/src/core/embedding/runtime.js'));
const { defaultModelsDir, cacheRoot } = require(path.join(root, 'out/src/core/paths.js'));
const { matchFeatures } = require(path.join(root, 'out/src/core/ranking/floor.js'));

/** Queries with no answer in any code base: gibberish, and everyday questions a code base cannot answer. */
const NONSENSE_QUERIES = [
  'xkcd qwrtz blorf',
  'asdkjh qweoiu zmxnbv',
  'flibber jabberwock snorkel',
  'purple elephant dancing on the moon',
  'recipe for chocolate chip cookies',
  'who won the football world cup in 1998',
  'best hiking trails in the alps',
  'how to knit a wool scarf',
  'symptoms of the common cold',
  'lyrics of a famous love song',
  'train timetable from paris to lyon',
  'the capital city of australia',
  'how tall is mount everest',
  'my cat sleeps on the sofa all day',
  'weather forecast for tomorrow afternoon',
  'banana smoothie with spinach',
  'medieval castles of scotland',
  'learn to play the guitar in a week',
  'the plot of a romantic comedy film',
  'gardening tips for tomato plants',
];

const args = process.argv.slice(2);
const reposDir = args.includes('--repos') ? args[args.indexOf('--repos') + 1] : path.resolve(root, '../shared/eval/repos');
const runtime = await ModelRuntime.start({ modelId: 'Xenova/all-MiniLM-L6-v2', modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 1);
const rows = [];
async function measure(corpus, engine, query, kind) {
  const v = engine.queryVector(await runtime.embedQuery(query));
  const f = matchFeatures(engine.index.nearest(v, 50).map((r) => r.score));
  rows.push({ corpus, kind, query, ...f });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-floor-'));
try {
  const fixtures = {
    workspace: ['read the contents of a file from disk', 'upload a payload, retrying failures with exponential backoff', 'check whether a number is prime', 'retry failed uploads with backoff', 'sort an array in place', 'format a date as a string', 'cache with expiry', 'http client get request', 'find a user by email in the repository'],
    express: ['parse the query string of a request', 'set a cookie on the response', 'render a view template', 'send a JSON response', 'route parameters', 'serve static files', 'redirect to another url', 'content negotiation by accept header', 'mount a sub application'],
  };
  for (const [name, queries] of Object.entries(fixtures)) {
    const engine = await Engine.open({ folder: path.join(root, 'test/fixtures', name), indexDir: path.join(tmp, name) }, runtime);
    await engine.update();
    for (const q of queries) await measure(name, engine, q, 'real');
    for (const q of NONSENSE_QUERIES) await measure(name, engine, q, 'nonsense');
    await engine.close();
  }
  const specs = existsSync(path.join(reposDir, 'repos.json')) ? JSON.parse(readFileSync(path.join(reposDir, 'repos.json'), 'utf8')) : [];
  const indexes = path.join(cacheRoot(), 'eval-repos');
  for (const spec of specs) {
    const dir = existsSync(indexes) ? readdirSync(indexes).find((d) => d.startsWith(`${spec.name}-`)) : undefined;
    if (!dir) {
      process.stderr.write(`${spec.name}: no index in ${indexes} (run kindred eval repos once); skipped\n`);
      continue;
    }
    const engine = await Engine.open({ folder: path.resolve(reposDir, spec.root), indexDir: path.join(indexes, dir), readOnly: true }, runtime);
    const annotations = JSON.parse(readFileSync(path.join(reposDir, 'annotations', `${spec.name}.json`), 'utf8'));
    for (const a of annotations) await measure(spec.name, engine, a.query, a.category === 'symbol' ? 'symbol' : 'real');
    for (const q of NONSENSE_QUERIES) await measure(spec.name, engine, q, 'nonsense');
    await engine.close();
  }
} finally {
  await runtime.close();
  rmSync(tmp, { recursive: true, force: true });
}

if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
} else {
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(3) : '-';
  };
  for (const feature of ['best', 'gap']) {
    console.log(`\n${feature}: kind  n  min  p05  p10  p25  p50  p75  max`);
    for (const kind of ['real', 'symbol', 'nonsense']) {
      const xs = rows.filter((r) => r.kind === kind).map((r) => r[feature]);
      console.log(`  ${kind.padEnd(8)} ${String(xs.length).padStart(3)}  ${[0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.999].map((p) => q(xs, p)).join('  ')}`);
    }
  }
  console.log('\nnonsense queries with the highest best cosine:');
  for (const r of rows.filter((r) => r.kind === 'nonsense').sort((a, b) => b.best - a.best).slice(0, 8)) console.log(`  ${r.best.toFixed(3)} ${r.corpus}: ${r.query}`);
  console.log('\nreal queries with the lowest best cosine:');
  for (const r of rows.filter((r) => r.kind !== 'nonsense').sort((a, b) => a.best - b.best).slice(0, 12)) console.log(`  ${r.best.toFixed(3)} ${r.corpus} (${r.kind}): ${r.query}`);
}
