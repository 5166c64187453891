#!/usr/bin/env node
// Builds a symbol-query set for Haskell, Elixir, Scala and Zig from real sources, in `kindred eval repos`' layout
// (repos.json + annotations/<name>.json), the way scripts/eval/build-langset.mjs does for Kotlin/Swift/Lua.
//
//   node scripts/eval/build-langset5.mjs [--out DIR]     (default: <kindred cache>/eval-langset5)
//
// Sources (pinned, checksums verified):
//   Debian 12 (bookworm) source packages from deb.debian.org: haskell-aeson 2.0.3.0-1, xmonad 0.17.1-1,
//   elixir-lang 1.14.0.dfsg-2, scala 2.11.12-5;  PyPI wheel ziglang 0.17.1 (Zig standard library under lib/std).
//
// The labels do not come from Kindred's chunker: a regular expression per language finds definition lines; names
// defined once (per repository), of 5+ letters (last dotted segment), are kept, every n-th of them in name order
// (40 per repository); a query is the name and its target the definition line {path, start_line, end_line}.
// Elixir only: consecutive clauses of one function (same name, same file, no other def in between) count as one
// definition, at its first clause — otherwise every multi-clause function would be "defined more than once".
// Needs curl, tar (xz, gzip), pip and unzip.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freshSetFolder, run, walk } from './heldout-common.mjs';

const { out, dl } = freshSetFolder('eval-langset5');

// ---- download -------------------------------------------------------------------------------------------------
const DEBIAN = 'http://deb.debian.org/debian';
// name -> [pool directory, file, sha256] (from bookworm's main/source/Sources)
const DEB_FILES = [
  ['pool/main/h/haskell-aeson', 'haskell-aeson_2.0.3.0.orig.tar.gz', '19760a2b84764fa3cee65c63df0c80d45497e2f0c3b95d4e6dc2083b8604b325'],
  ['pool/main/h/haskell-aeson', 'haskell-aeson_2.0.3.0-1.debian.tar.xz', '9e0b9db96f556d79ea1152637270fb95669528cb0139f3034597b091177ed0d4'],
  ['pool/main/x/xmonad', 'xmonad_0.17.1.orig.tar.gz', '884a32837e41410bab622b26a4b5dc38bd88f1b78a6efd5c552f1456b1e7f8aa'],
  ['pool/main/x/xmonad', 'xmonad_0.17.1-1.debian.tar.xz', '980ebe85471aa2cee6c27e2180d71e0dd6b51170b3c34db78955a6246f97c7a8'],
  ['pool/main/e/elixir-lang', 'elixir-lang_1.14.0.dfsg.orig.tar.xz', '3dfa724f36b90d1bc41b9626a8ea0c293255c3a21a4d608c576ce39e2a23e5c9'],
  ['pool/main/e/elixir-lang', 'elixir-lang_1.14.0.dfsg-2.debian.tar.xz', 'd2993f8d6677a6b0ffcf54c2b6f289560bd1a6c988bc2f78c68d0fe0cc7a3b87'],
  ['pool/main/s/scala', 'scala_2.11.12.orig.tar.xz', 'b8db9faffd136d376a1885c04b2cced1b25fee5e61295c1c2a66bceaf99e7301'],
  ['pool/main/s/scala', 'scala_2.11.12-5.debian.tar.xz', '3230c57337f222a9861176d35a250477c2b941ab868af5d702f17681adb4f408'],
];
const sha256 = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
for (const [dir, file, sum] of DEB_FILES) {
  run('curl', ['-sSf', '-o', file, `${DEBIAN}/${dir}/${file}`], dl);
  if (sha256(path.join(dl, file)) !== sum) throw new Error(`${file}: sha256 mismatch`);
  const pkg = file.split('_')[0];
  mkdirSync(path.join(dl, pkg), { recursive: true });
  run('tar', ['xf', file, '-C', pkg], dl);
}
run('pip', ['download', 'ziglang==0.17.1', '--no-deps', '--only-binary=:all:', '-q', '-d', 'zigwheel'], dl);
const wheel = path.join(dl, 'zigwheel', readdirSync(path.join(dl, 'zigwheel')).find((f) => f.endsWith('.whl')));
const wheelSha = sha256(wheel);
run('unzip', ['-q', wheel, 'ziglang/lib/std/*', 'ziglang/LICENSE', '-d', 'zig'], dl);

// ---- lay out the repositories ---------------------------------------------------------------------------------
const cp = (from, to) => {
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
};
const A = path.join(dl, 'haskell-aeson/aeson-2.0.3.0');
cp(path.join(A, 'src'), path.join(out, 'aeson/src'));
copyFileSync(path.join(A, 'LICENSE'), path.join(out, 'aeson/LICENSE'));
copyFileSync(path.join(dl, 'haskell-aeson/debian/copyright'), path.join(out, 'aeson/debian-copyright'));

const X = path.join(dl, 'xmonad/xmonad-0.17.1');
cp(path.join(X, 'src'), path.join(out, 'xmonad/src'));
copyFileSync(path.join(X, 'LICENSE'), path.join(out, 'xmonad/LICENSE'));
copyFileSync(path.join(dl, 'xmonad/debian/copyright'), path.join(out, 'xmonad/debian-copyright'));

const E = path.join(dl, 'elixir-lang/elixir-1.14.0');
cp(path.join(E, 'lib/elixir/lib'), path.join(out, 'elixir/lib/elixir/lib'));
copyFileSync(path.join(E, 'LICENSE'), path.join(out, 'elixir/LICENSE'));
copyFileSync(path.join(E, 'NOTICE'), path.join(out, 'elixir/NOTICE'));
copyFileSync(path.join(dl, 'elixir-lang/debian/copyright'), path.join(out, 'elixir/debian-copyright'));

const S = path.join(dl, 'scala/scala-2.11.12');
for (const sub of ['immutable', 'mutable']) cp(path.join(S, 'src/library/scala/collection', sub), path.join(out, 'scala/src/library/scala/collection', sub));
copyFileSync(path.join(S, 'doc/LICENSE.md'), path.join(out, 'scala/LICENSE.md'));
copyFileSync(path.join(dl, 'scala/debian/copyright'), path.join(out, 'scala/debian-copyright'));

const Z = path.join(dl, 'zig/ziglang/lib/std');
const ZIG_DIRS = ['hash', 'fmt', 'json', 'sort', 'heap', 'Random', 'math'];
const ZIG_FILES = ['hash.zig', 'fmt.zig', 'json.zig', 'sort.zig', 'heap.zig', 'Random.zig', 'math.zig', 'mem.zig', 'ascii.zig', 'base64.zig',
  'array_list.zig', 'hash_map.zig', 'unicode.zig', 'bit_set.zig', 'priority_queue.zig', 'deque.zig', 'SinglyLinkedList.zig',
  'DoublyLinkedList.zig', 'static_string_map.zig', 'treap.zig'];
for (const d of ZIG_DIRS) cp(path.join(Z, d), path.join(out, 'zig/lib/std', d));
for (const f of ZIG_FILES) cp(path.join(Z, f), path.join(out, 'zig/lib/std', f));
copyFileSync(path.join(dl, 'zig/ziglang/LICENSE'), path.join(out, 'zig/LICENSE'));
rmSync(dl, { recursive: true, force: true });

// ---- definitions ----------------------------------------------------------------------------------------------
// Each `defs(lines)` returns [{name, line}] (1-based) for one file.
const HS_SIG = /^([a-z_][\w']*(?:\s*,\s*[a-z_][\w']*)*)\s*::/; // name :: / a, b :: at column 0
const HS_SIG_SPLIT = /^([a-z_][\w']*)\s*$/; // name on its own line, `:: ...` on the next (indented) line
const HS_TYPE = /^(?:data|newtype|type)\s+(?:family\s+)?([A-Z][\w']*)/;
const HS_CLASS = /^class\s+(?:(?:\([^)]*\)|[^=]*?)\s*=>\s*)?([A-Z][\w']*)/;
function haskellDefs(lines) {
  const r = [];
  lines.forEach((l, i) => {
    let m;
    if ((m = HS_SIG.exec(l))) {
      for (const n of m[1].split(',')) r.push({ name: n.trim(), line: i + 1 });
    } else if ((m = HS_SIG_SPLIT.exec(l)) && /^\s+::/.test(lines[i + 1] ?? '') && !/^(?:where|instance|module|import|deriving)$/.test(m[1])) {
      r.push({ name: m[1], line: i + 1 });
    } else if ((m = HS_TYPE.exec(l)) || (m = HS_CLASS.exec(l))) {
      r.push({ name: m[1], line: i + 1 });
    }
  });
  return r;
}

const EX_MOD = /^\s*(?:defmodule|defprotocol)\s+([A-Z][\w.]*)/;
const EX_FUN = /^\s*(?:def|defp|defmacro|defmacrop|defguard|defguardp|defdelegate)\s+([a-z_][\w]*[?!]?)\s*(?:\(|,|\s+do\b|\s+when\b|$)/;
function elixirDefs(lines) {
  const r = [];
  let last; // the previous function definition's name, for grouping clauses
  lines.forEach((l, i) => {
    let m;
    if ((m = EX_MOD.exec(l))) {
      r.push({ name: m[1], line: i + 1 });
      last = undefined;
    } else if ((m = EX_FUN.exec(l))) {
      if (m[1] !== last) r.push({ name: m[1], line: i + 1 });
      last = m[1];
    }
  });
  return r;
}

const SC_DEF =
  /^\s*(?:(?:@\w+(?:\([^)]*\))?|private(?:\[\w+\])?|protected(?:\[\w+\])?|override|final|sealed|abstract|implicit|lazy|case|inline)\s+)*(?:class|trait|object|def)\s+([A-Za-z_]\w*)/;
const ZIG_FN = /^\s*(?:pub\s+)?(?:export\s+|extern\s+|inline\s+|noinline\s+)?fn\s+([A-Za-z_]\w*)\s*\(/;
const ZIG_TYPE = /^\s*(?:pub\s+)?const\s+([A-Za-z_]\w*)\s*=\s*(?:extern\s+|packed\s+)?(?:struct|union|enum)\b/;
const byRegex = (...res) => (lines) =>
  lines.flatMap((l, i) => {
    for (const re of res) {
      const m = re.exec(l);
      if (m) return [{ name: m[1], line: i + 1 }];
    }
    return [];
  });

const SPECS = [
  { name: 'aeson', language: 'haskell', root: 'aeson/src', ext: '.hs', defs: haskellDefs,
    source: 'Debian 12 source package haskell-aeson 2.0.3.0-1 (aeson 2.0.3.0), src/', licence: 'BSD-3-Clause' },
  { name: 'xmonad', language: 'haskell', root: 'xmonad/src', ext: '.hs', defs: haskellDefs,
    source: 'Debian 12 source package xmonad 0.17.1-1, src/', licence: 'BSD-3-Clause' },
  { name: 'elixir-stdlib', language: 'elixir', root: 'elixir/lib/elixir/lib', ext: '.ex', defs: elixirDefs,
    source: 'Debian 12 source package elixir-lang 1.14.0.dfsg-2 (Elixir 1.14.0), lib/elixir/lib/', licence: 'Apache-2.0' },
  { name: 'scala-collection', language: 'scala', root: 'scala/src/library/scala/collection', ext: '.scala', defs: byRegex(SC_DEF),
    source: 'Debian 12 source package scala 2.11.12-5 (Scala 2.11.12), src/library/scala/collection/{immutable,mutable}/', licence: 'BSD-3-Clause (Scala License)' },
  { name: 'zig-std', language: 'zig', root: 'zig/lib/std', ext: '.zig', defs: byRegex(ZIG_FN, ZIG_TYPE),
    source: `PyPI wheel ziglang 0.17.1 (sha256 ${wheelSha}), lib/std/{${ZIG_DIRS.join(',')}}/ and ${ZIG_FILES.length} top-level files (${ZIG_FILES.join(', ')})`, licence: 'MIT' },
];

const repos = [];
const summary = [];
for (const s of SPECS) {
  const rootDir = path.join(out, s.root);
  const files = walk(rootDir).filter((p) => p.endsWith(s.ext));
  const defs = new Map();
  let defLines = 0;
  for (const f of files) {
    for (const d of s.defs(readFileSync(f, 'utf8').split('\n'))) {
      defLines++;
      if (d.name.split('.').pop().length < 5) continue;
      const list = defs.get(d.name) ?? [];
      list.push({ path: path.relative(rootDir, f), line: d.line });
      defs.set(d.name, list);
    }
  }
  const unique = [...defs].filter(([, v]) => v.length === 1).sort((a, b) => a[0].localeCompare(b[0]));
  const step = Math.max(1, Math.floor(unique.length / 40));
  const picked = unique.filter((_, i) => i % step === 0).slice(0, 40);
  const annotations = picked.map(([name, [d]]) => ({ query: name, relevant: [{ path: d.path, start_line: d.line, end_line: d.line }], secondary: [], category: 'symbol' }));
  writeFileSync(path.join(out, 'annotations', `${s.name}.json`), `[\n${annotations.map((x) => ` ${JSON.stringify(x)}`).join(',\n')}\n]\n`);
  repos.push({ name: s.name, language: s.language, url: '', revision: '', root: s.root });
  const line = `${s.name}: ${files.length} ${s.ext} files, ${defLines} definition lines, ${unique.length} names defined once (5+ letters), ${annotations.length} queries (every ${step}th)`;
  summary.push({ ...s, files: files.length, line });
  process.stdout.write(`${line}\n`);
}
writeFileSync(path.join(out, 'repos.json'), `[\n${repos.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`);

writeFileSync(
  path.join(out, 'README.md'),
  `# Symbol-query set: Haskell, Elixir, Scala, Zig

Built by \`scripts/eval/build-langset5.mjs\`, in the layout of
\`kindred eval repos\` (repos.json + annotations/<name>.json; see the development set's README for scoring).

The labels do not come from Kindred's chunker: a regular expression per language finds definition lines; names
defined once in the repository, of 5+ letters (last dotted segment), are kept; every n-th of them in name order,
40 per repository; a query is the name, its target the definition line \`{path, start_line, end_line}\` (path
relative to the repository's \`root\`). All queries are in category \`symbol\`.

Definition lines:
- Haskell: top-level type signatures at column 0 (\`name ::\`, \`a, b ::\`, or \`name\` with \`:: ...\` on the next
  indented line), and \`data X\`, \`newtype X\`, \`type [family] X\`, \`class [ctx =>] X\` at column 0.
- Elixir: \`defmodule X\`/\`defprotocol X\` (full dotted name as written), \`def|defp|defmacro|defmacrop|defguard|defdelegate name\`;
  consecutive clauses of one function in one file count once (first clause).
- Scala: \`class|trait|object|def name\` after optional modifiers/annotations.
- Zig: \`[pub] fn name(\` and \`[pub] const Name = struct|enum|union\`.

## Repositories

${summary.map((s) => `- **${s.name}** (${s.language}) — ${s.source}. Licence: ${s.licence}; the licence/copyright files are in \`${s.root.split('/')[0]}/\`.\n  ${s.line}.`).join('\n')}

Debian files were fetched from ${DEBIAN}/pool/main/... and checked against bookworm's Sources SHA-256 sums;
the Zig wheel with \`pip download ziglang==0.17.1 --no-deps\`.
`,
);
process.stdout.write(`built ${out}; score it with: node dist/cli.js eval repos ${out}\n`);
