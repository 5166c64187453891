#!/usr/bin/env node
// Builds a symbol-query set for the two languages of semble's benchmark no other set here covers: C# (pythonnet's
// runtime, from its PyPI source distribution) and Bash (Debian's bash-completion), in `kindred eval repos`' layout
// (repos.json + annotations/<name>.json).
//
//   node scripts/eval/build-langset6.mjs [--out DIR]
//
// The labels do not come from Kindred's chunker: a regular expression per language finds definition lines; names
// defined once, of 5+ letters, are kept, every n-th of them (60 per language); a query is the name and its target
// the definition line. Needs pip and apt-get (download only, no install).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freshSetFolder, run, walk, writeSymbolQueries } from './heldout-common.mjs';

const { out, dl } = freshSetFolder('eval-langset6');

// Sources: pythonnet 3.2.1 (MIT), bash-completion 1:2.11-6 (GPL-2+).
run('pip', ['download', 'pythonnet==3.2.1', '--no-binary', ':all:', '--no-deps', '-q', '-d', dl], dl);
run('tar', ['xzf', readdirSync(dl).find((f) => f.startsWith('pythonnet') && f.endsWith('.tar.gz')), '-C', dl], dl);
run('mv', [path.join(dl, 'pythonnet-3.2.1', 'src'), path.join(out, 'pythonnet')], out);
run('apt-get', ['download', 'bash-completion=1:2.11-6'], dl);
run('dpkg', ['-x', readdirSync(dl).find((f) => f.startsWith('bash-completion')), path.join(dl, 'bc')], dl);
// -L: completions are partly symlinks to each other; the copies are real files.
run('cp', ['-rL', path.join(dl, 'bc/usr/share/bash-completion'), path.join(out, 'bash-completion')], out);
rmSync(dl, { recursive: true, force: true });

const CS_MODIFIERS = '(?:(?:public|private|protected|internal|static|virtual|override|abstract|sealed|partial|readonly|unsafe|extern|new|async|ref)\\s+)';
const SPECS = [
  {
    name: 'pythonnet-csharp',
    root: 'pythonnet',
    test: (f) => f.endsWith('.cs'),
    res: [
      new RegExp(`^\\s*${CS_MODIFIERS}*(?:class|struct|interface|enum|record)\\s+([A-Za-z_]\\w*)`),
      // A method: at least one modifier, a return type, the name and its parameter list.
      new RegExp(`^\\s*${CS_MODIFIERS}+[\\w<>\\[\\],.?]+\\s+([A-Za-z_]\\w*)\\s*(?:<[^>]*>)?\\s*\\(`),
    ],
  },
  {
    name: 'bash-completion',
    root: 'bash-completion',
    // Completion files have no extension; the main file is `bash_completion`.
    test: () => true,
    res: [/^\s*(?:function\s+)?([A-Za-z_][\w:-]*)\s*\(\)/, /^\s*function\s+([A-Za-z_][\w:-]*)\s*\{/],
  },
];

const repos = [];
for (const s of SPECS) {
  const rootDir = path.join(out, s.root);
  const defs = new Map();
  for (const f of walk(rootDir).filter(s.test)) {
    const text = readFileSync(f, 'utf8');
    if (text.includes('\0')) continue;
    text.split('\n').forEach((line, i) => {
      const m = s.res.map((re) => re.exec(line)).find(Boolean);
      if (!m || m[1].replace(/^_+/, '').length < 5) return;
      const list = defs.get(m[1]) ?? [];
      list.push({ path: path.relative(rootDir, f), line: i + 1 });
      defs.set(m[1], list);
    });
  }
  writeSymbolQueries(out, s.name, defs, 60);
  repos.push({ name: s.name, language: s.name.split('-').pop(), url: '', revision: '', root: s.root });
}
writeFileSync(path.join(out, 'repos.json'), JSON.stringify(repos, null, 1));
process.stdout.write(`built ${out}; score it with: node dist/cli.js eval repos ${out}\n`);
