// What the evaluation set builders (build-heldout.mjs, build-heldout3.mjs, build-langset.mjs) share: their command
// line, running a download tool, semble's category rule, and writing a set in `kindred eval repos`' layout.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** `--labels DIR [--out DIR]`; the default out is `<kindred cache>/<cacheName>`. Exits with usage when --labels is missing. */
export function builderOptions(script, cacheName) {
  const { values } = parseArgs({ options: { labels: { type: 'string' }, out: { type: 'string' } } });
  if (!values.labels) {
    process.stderr.write(`usage: node ${script} --labels DIR [--out DIR]\n`);
    process.exit(2);
  }
  const cache = process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred');
  return { labels: path.resolve(values.labels), out: path.resolve(values.out ?? path.join(cache, cacheName)) };
}

/** semble's benchmarks/data.py rule, for entries without a category. */
export function inferCategory(q) {
  if (!/\s/.test(q.trim())) return 'symbol';
  return q.toLowerCase().startsWith('how ') ? 'architecture' : 'semantic';
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
