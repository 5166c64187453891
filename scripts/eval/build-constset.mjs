#!/usr/bin/env node
// Builds a symbol-query set of constants and macros over already-built repository sets (held out 1, 3 and 4), in
// `kindred eval repos`' layout. Its repositories are the same folders (roots are relative paths to them), so
// `eval repos` reuses their indexes.
//
//   node scripts/eval/build-constset.mjs --out DIR SETDIR...
//
// The labels do not come from Kindred's chunker: a regular expression per language finds constant definitions
// (upper-case names of 4+ characters assigned at a file's or class's level, `#define`s, Rust `const`/`static`, Java
// `static final`, PHP `const`, Go exported `const` specs), outside paths with "test" in them; names defined once per
// repository are kept, every n-th of them in name order (20 per repository; repositories with fewer than 5 are
// skipped). A query is the name, its target the definition line.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { walk } from './heldout-common.mjs';

const CONST = /([A-Z][A-Z0-9_]{3,})/.source;
const PATTERNS = {
  python: [new RegExp(`^${CONST}\\s*(?::[^=]+)?=(?!=)`)],
  javascript: [new RegExp(`^(?:export\\s+)?(?:const|let|var)\\s+${CONST}\\s*[=:]`)],
  typescript: [new RegExp(`^(?:export\\s+)?(?:const|let|var)\\s+${CONST}\\s*[=:]`)],
  rust: [new RegExp(`^\\s*(?:pub(?:\\([^)]*\\))?\\s+)?(?:const|static)\\s+${CONST}\\s*:`)],
  java: [new RegExp(`^\\s*(?:(?:public|private|protected)\\s+)?static\\s+final\\s+[\\w<>\\[\\], ?]+\\s+${CONST}\\s*=`)],
  c: [new RegExp(`^#\\s*define\\s+${CONST}\\b`)],
  cpp: [new RegExp(`^#\\s*define\\s+${CONST}\\b`)],
  ruby: [new RegExp(`^\\s*${CONST}\\s*=\\s`)],
  php: [new RegExp(`^\\s*(?:(?:public|private|protected)\\s+)?const\\s+${CONST}\\s*=`)],
  go: [/^const\s+([A-Z]\w{3,})\s*=/, /^\t([A-Z]\w{3,})(?:\s+\w+)?\s*=\s/],
};
const EXTENSIONS = { python: ['.py'], javascript: ['.js'], typescript: ['.ts'], rust: ['.rs'], java: ['.java'], c: ['.c', '.h'], cpp: ['.h', '.hpp', '.cc', '.cpp'], ruby: ['.rb'], php: ['.php'], go: ['.go'] };
const PER_REPOSITORY = 20;

const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
if (!values.out || positionals.length === 0) {
  process.stderr.write('usage: node scripts/eval/build-constset.mjs --out DIR SETDIR...\n');
  process.exit(2);
}
const out = path.resolve(values.out);
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'annotations'), { recursive: true });

const repos = [];
for (const dir of positionals.map((d) => path.resolve(d))) {
  for (const r of JSON.parse(readFileSync(path.join(dir, 'repos.json'), 'utf8'))) {
    const root = path.resolve(dir, r.root);
    const patterns = PATTERNS[r.language];
    if (!patterns) continue;
    const sites = new Map();
    for (const file of walk(root)) {
      const rel = path.relative(root, file);
      if (!EXTENSIONS[r.language].some((e) => file.endsWith(e)) || /test/i.test(rel)) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const re of patterns) {
            const m = re.exec(line);
            if (m) sites.set(m[1], [...(sites.get(m[1]) ?? []), { path: rel, line: i + 1 }]);
          }
        });
    }
    const once = [...sites].filter(([, list]) => list.length === 1).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (once.length < 5) {
      console.log(`${r.name}: ${once.length} constants defined once, skipped`);
      continue;
    }
    const step = Math.max(1, Math.floor(once.length / PER_REPOSITORY));
    const picked = once.filter((_, i) => i % step === 0).slice(0, PER_REPOSITORY);
    const annotations = picked.map(([name, [d]]) => ({ query: name, relevant: [{ path: d.path, start_line: d.line, end_line: d.line }], secondary: [], category: 'symbol' }));
    writeFileSync(path.join(out, 'annotations', `${r.name}.json`), `[\n${annotations.map((a) => ` ${JSON.stringify(a)}`).join(',\n')}\n]\n`);
    repos.push({ ...r, root: path.relative(out, root) });
    console.log(`${r.name}: ${once.length} constants defined once, ${annotations.length} queries`);
  }
}
writeFileSync(path.join(out, 'repos.json'), `${JSON.stringify(repos, null, 1)}\n`);
console.log(`built ${out}; score it with: node dist/cli.js eval repos ${out}`);
