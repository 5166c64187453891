// What the evaluation set builders (build-heldout*.mjs, build-langset*.mjs, build-wholerepo.mjs) share: their command
// line, running a download tool, semble's category rule, fitting labels to packaged sources, and writing a set in
// `kindred eval repos`' layout.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** Kindred's cache folder, where the sets are built by default. */
function cacheRoot() {
  return process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred');
}

/** `--labels DIR [--out DIR]`; the default out is `<kindred cache>/<cacheName>`. Exits with usage when --labels is missing. */
export function builderOptions(script, cacheName) {
  const { values } = parseArgs({ options: { labels: { type: 'string' }, out: { type: 'string' } } });
  if (!values.labels) {
    process.stderr.write(`usage: node ${script} --labels DIR [--out DIR]\n`);
    process.exit(2);
  }
  return { labels: path.resolve(values.labels), out: path.resolve(values.out ?? path.join(cacheRoot(), cacheName)) };
}

/** `--out DIR` for the language-set builders (default `<kindred cache>/<cacheName>`), emptied, with its annotations/ and download folders. */
export function freshSetFolder(cacheName) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  return emptySetFolder(path.resolve(values.out ?? path.join(cacheRoot(), cacheName)));
}

/** `out` emptied, with its annotations/ and download folders. */
export function emptySetFolder(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'annotations'), { recursive: true });
  const dl = path.join(out, '_download');
  mkdirSync(dl, { recursive: true });
  return { out, dl };
}

/** Every file under `dir`, recursively. */
export function walk(dir, acc = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, acc);
    else acc.push(p);
  }
  return acc;
}

/** semble's benchmarks/data.py rule, for entries without a category. */
export function inferCategory(q) {
  if (!/\s/.test(q.trim())) return 'symbol';
  return q.toLowerCase().startsWith('how ') ? 'architecture' : 'semantic';
}

/** Debian's mirror, from which source packages' files are fetched. */
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

export const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A Debian source package's file (`pool`: its Directory in the Sources index) in the download folder `dl`, fetched with
 * curl unless a copy with the right sha256 is there; throws when the sha256 differs. Returns its path.
 */
export function fetchDebianSource(dl, pool, file, expected) {
  const target = path.join(dl, file);
  if (!existsSync(target) || sha256(target) !== expected) run('curl', ['-sSf', '--retry', '3', '-o', target, `${DEBIAN_MIRROR}/${pool}/${encodeURIComponent(file)}`]);
  const got = sha256(target);
  if (got !== expected) throw new Error(`${target}: sha256 ${got}, expected ${expected}`);
  return target;
}

export function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

/** One repository's annotations, one query per line. */
export function writeAnnotations(out, name, kept) {
  mkdirSync(path.join(out, 'annotations'), { recursive: true });
  writeFileSync(path.join(out, 'annotations', `${name}.json`), `[\n${kept.map((x) => ` ${JSON.stringify(x)}`).join(',\n')}\n]\n`);
}

export function writeRepos(out, specs) {
  writeFileSync(path.join(out, 'repos.json'), `[\n${specs.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n]\n`);
}

const targetPath = (t) => (typeof t === 'string' ? t : t.path);
const describe = (t) => (typeof t === 'string' ? t : `${t.path}:${t.start_line}-${t.end_line}`);

/**
 * One repository's labels (`all`, semble's entries) checked against its packaged sources in `repo`: targets missing
 * there are dropped, and a query left with none. A symbol query's span moves to the symbol's declaration in the
 * packaged file when exactly one line matches `declarations[<name>/<query>]` (keeping its length); any other span is
 * kept only if its file's declaration anchors did not move, and is otherwise reduced to its path.
 */
export function relabel(repo, name, all, declarations) {
  const lines = new Map();
  const linesOf = (p) => {
    if (!lines.has(p)) lines.set(p, readFileSync(path.join(repo, p), 'utf8').split('\n'));
    return lines.get(p);
  };
  const exists = (t) => existsSync(path.join(repo, targetPath(t)));
  // Declaration anchors: the symbol spans, where the labels say the symbol starts and where the packaged file has it.
  const anchors = {};
  const declared = {};
  for (const a of all) {
    const decl = declarations[`${name}/${a.query}`];
    if (!decl) continue;
    for (const t of [...(a.relevant ?? []), ...(a.secondary ?? [])]) {
      if (typeof t === 'string' || !exists(t)) continue;
      const hits = linesOf(t.path).flatMap((l, i) => (decl.test(l) ? [i + 1] : []));
      declared[`${a.query}\0${t.path}`] = hits;
      (anchors[t.path] ??= []).push({ upstream: t.start_line, packaged: hits.length === 1 ? hits[0] : undefined });
    }
  }
  const notes = [];
  const fix = (a, category) => (t) => {
    if (typeof t === 'string' || t.start_line === undefined) return t;
    const hits = declared[`${a.query}\0${t.path}`];
    if (category === 'symbol' && hits) {
      if (hits.length === 1) {
        const moved = { path: t.path, start_line: hits[0], end_line: hits[0] + (t.end_line - t.start_line) };
        if (hits[0] !== t.start_line) notes.push(`"${a.query}": span ${describe(t)} moved to ${moved.start_line}-${moved.end_line} (declaration)`);
        return moved;
      }
      notes.push(`"${a.query}": span ${describe(t)} dropped, kept the path (${hits.length} declarations match)`);
      return t.path;
    }
    const fileAnchors = anchors[t.path] ?? [];
    const unmoved = fileAnchors.length > 0 && fileAnchors.every((x) => x.packaged === x.upstream);
    if (unmoved && t.end_line <= linesOf(t.path).length) return t;
    notes.push(`"${a.query}": span ${describe(t)} dropped, kept the path (${fileAnchors.length ? 'code moved: declaration anchors ' + fileAnchors.map((x) => `${x.upstream}→${x.packaged ?? '?'}`).join(', ') : 'no declaration anchor to check it against'})`);
    return t.path;
  };

  const kept = [];
  const droppedQueries = [];
  const droppedTargets = [];
  const categories = {};
  for (const a of all) {
    const category = typeof a.category === 'string' ? a.category : inferCategory(a.query);
    const keep = (list) =>
      (list ?? []).filter((t) => {
        if (exists(t)) return true;
        droppedTargets.push(`"${a.query}": ${describe(t)}`);
        return false;
      });
    const relevant = keep(a.relevant).map(fix(a, category));
    const secondary = keep(a.secondary).map(fix(a, category));
    if (!relevant.length && !secondary.length) {
      droppedQueries.push(a.query);
      continue;
    }
    categories[category] = (categories[category] ?? 0) + 1;
    kept.push({ query: a.query, relevant, secondary, category });
  }
  return { kept, droppedQueries, droppedTargets, notes, categories };
}

/**
 * A symbol-query set's annotations for one repository (build-langset*.mjs): of the names `defs` holds (name → the
 * definition sites found), those defined once, every n-th in name order, `count` at most; the query is the name and
 * its target the definition line. Writes annotations/<name>.json and says how many it kept.
 */
export function writeSymbolQueries(out, name, defs, count) {
  const unique = [...defs].filter(([, v]) => v.length === 1).sort((a, b) => a[0].localeCompare(b[0]));
  const step = Math.max(1, Math.floor(unique.length / count));
  const picked = unique.filter((_, i) => i % step === 0).slice(0, count);
  const annotations = picked.map(([query, [d]]) => ({ query, relevant: [{ path: d.path, start_line: d.line, end_line: d.line }], secondary: [], category: 'symbol' }));
  writeFileSync(path.join(out, 'annotations', `${name}.json`), JSON.stringify(annotations, null, 1));
  process.stdout.write(`${name}: ${unique.length} names defined once, ${annotations.length} queries\n`);
}
