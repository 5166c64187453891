#!/usr/bin/env node
// Builds the symbol-query set for the languages cut on syntax since the fourth session (docs/model-eval.md,
// "Languages cut on syntax"): real Kotlin and Swift (expo-modules-core from npm) and Lua (Penlight from Debian's
// lua-penlight), in `kindred eval repos`' layout (repos.json + annotations/<name>.json).
//
//   node scripts/eval/build-langset.mjs [--out DIR]
//
// The labels do not come from Kindred's chunker: a regular expression per language finds definition lines; names
// defined once, of 5+ letters, are kept, every n-th of them (40 per language); a query is the name and its target
// the definition line. Needs npm and apt-get (download only, no install).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freshSetFolder, run, walk, writeSymbolQueries } from './heldout-common.mjs';

const { out, dl } = freshSetFolder('eval-langset');

// Sources: expo-modules-core 58.1.0 (MIT), lua-penlight 1.13.1-3 (MIT).
run('npm', ['pack', 'expo-modules-core@58.1.0', '--silent'], dl);
run('tar', ['xzf', readdirSync(dl).find((f) => f.endsWith('.tgz')), '-C', dl], dl);
run('mv', [path.join(dl, 'package'), path.join(out, 'expo')], out);
run('apt-get', ['download', 'lua-penlight=1.13.1-3'], dl);
run('dpkg', ['-x', readdirSync(dl).find((f) => f.startsWith('lua-penlight')), path.join(dl, 'pen')], dl);
run('cp', ['-rL', path.join(dl, 'pen/usr/share/lua/5.1/pl'), path.join(out, 'penlight')], out);
rmSync(dl, { recursive: true, force: true });

const SPECS = [
  {
    name: 'expo-kotlin',
    root: 'expo/android',
    ext: '.kt',
    re: /^\s*(?:(?:public|internal|private|protected|open|abstract|data|sealed|enum|inline|value|annotation|override|suspend|inner)\s+)*(?:class|interface|object|fun)\s+(?:<[^>]*>\s*)?(?:[A-Z]\w*\.)?([A-Za-z_]\w*)/,
  },
  {
    name: 'expo-swift',
    root: 'expo/ios',
    ext: '.swift',
    re: /^\s*(?:(?:public|internal|private|fileprivate|open|final|static|override|@objc|@MainActor|mutating|convenience|required)\s+)*(?:class|struct|protocol|enum|func|actor)\s+([A-Za-z_]\w*)/,
  },
  { name: 'penlight', root: 'penlight', ext: '.lua', re: /^\s*(?:local\s+)?function\s+([\w.:]+)\s*\(/ },
];

const repos = [];
for (const s of SPECS) {
  const rootDir = path.join(out, s.root);
  const defs = new Map();
  for (const f of walk(rootDir).filter((p) => p.endsWith(s.ext))) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = s.re.exec(line);
        if (!m || m[1].split(/[.:]/).pop().length < 5) return;
        const list = defs.get(m[1]) ?? [];
        list.push({ path: path.relative(rootDir, f), line: i + 1 });
        defs.set(m[1], list);
      });
  }
  writeSymbolQueries(out, s.name, defs, 40);
  repos.push({ name: s.name, language: s.ext.slice(1), url: '', revision: '', root: s.root });
}
writeFileSync(path.join(out, 'repos.json'), JSON.stringify(repos, null, 1));
process.stdout.write(`built ${out}; score it with: node dist/cli.js eval repos ${out}\n`);
