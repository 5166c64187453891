#!/usr/bin/env node
// Builds "held-out set 4": repositories of semble's public benchmark (C, C++, Java, Ruby, PHP, Rust) from Debian 12
// (bookworm) SOURCE packages, in the layout of ../shared/eval/repos (repos.json + annotations/<name>.json), so that
// `kindred eval repos <out>` scores them. Modelled on build-heldout3.mjs.
//
//   node build-heldout4.mjs --labels DIR [--out DIR]
//
// --labels: a folder with semble's annotation files (<name>.json; MinishLab/semble's benchmarks/annotations, MIT
// licence; laravel-framework and rails from the fork michalfedyna/semble). --out: where to build (default:
// ~/.cache/kindred/eval-heldout4). Downloads are cached in HELDOUT4_DL (default: `<out>/_downloads`).
//
// Sources: the upstream tarballs (.orig.tar.*) of Debian 12 source packages, fetched with curl from
// http://deb.debian.org/debian/<Directory>/<file> and checked against the sha256 of the bookworm Sources index;
// Debian's patches are NOT applied. serde_derive comes from the binary package librust-serde-derive-dev (the crate's
// source as Debian ships it; its source tarball was not downloadable here), via `apt-get download` + `dpkg -x`.
// These are NOT the revisions the labels were written against: labelled files missing from the packaged version are
// dropped, and a query left with no target is dropped. Line spans: a symbol query's span is moved to the symbol's
// declaration in the packaged file (DECLARATIONS) when exactly one declaration matches; any other span is kept only if
// the file's declaration anchors did not move, and is otherwise reduced to its path (as build-heldout3.mjs does).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { builderOptions, fetchDebianSource, relabel, run, sha256, writeAnnotations, writeRepos } from './heldout-common.mjs';

const { labels, out } = builderOptions('build-heldout4.mjs', 'eval-heldout4');
const dl = path.resolve(process.env.HELDOUT4_DL ?? path.join(out, '_downloads'));

/**
 * name → language, upstream, the revision the labels were written against (semble's benchmarks/repos.json), the
 * indexed root (its benchmark_root; '' = the repository root), and what to build it from:
 *   sources: files to fetch — { src: pool directory, file, sha256 } (a source package's file, curl) or
 *            { deb: package, version, sha256 } (a binary package, apt-get download), each unpacked into its own folder;
 *   layout:  [from, to]: a folder or file of an unpacked source (`<index>/<path>`, index into sources) copied to
 *            `to` in the repository folder;
 *   licences: [from, to] copied likewise (the upstream licence files; Debian's copyright file as LICENSE.debian-copyright).
 */
const REPOS = {
  libuv: ['c', 'https://github.com/libuv/libuv', '40178b916e5937ed43c557aa051bdb3f86f6ca93', 'src', {
    source: 'libuv1 1.44.2-1+deb12u1 (Debian 12 source package, upstream tarball)',
    sources: [
      { src: 'pool/main/libu/libuv1', file: 'libuv1_1.44.2.orig.tar.gz', sha256: 'd79b4b06ef04be85fb890bf39d55942cc64c2e15fd14eaa32dae5dce94485484' },
      { src: 'pool/main/libu/libuv1', file: 'libuv1_1.44.2-1+deb12u1.debian.tar.xz', sha256: '14fc605e7d1520137416fd8c097b58a191be9b07bdbb406f7b39c7894b7d66a5' },
    ],
    layout: [['0/libuv1-1.44.2/src', 'src']],
    licences: [['0/libuv1-1.44.2/LICENSE', 'LICENSE'], ['0/libuv1-1.44.2/LICENSE-docs', 'LICENSE-docs'], ['1/debian/copyright', 'LICENSE.debian-copyright']],
  }],
  'abseil-cpp': ['cpp', 'https://github.com/abseil/abseil-cpp', 'b9536c952c6f6bbcb37a5edb4fa88ee62d27cd7e', 'absl', {
    source: 'abseil 20220623.1-1+deb12u2 (Debian 12 source package, upstream tarball)',
    sources: [
      { src: 'pool/main/a/abseil', file: 'abseil_20220623.1.orig.tar.gz', sha256: 'abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe' },
      { src: 'pool/main/a/abseil', file: 'abseil_20220623.1-1+deb12u2.debian.tar.xz', sha256: 'e08490fc7b6f3beca1925953b0c4fb92df2de5e2a01295e4641e2a3d4e528eeb' },
    ],
    layout: [['0/abseil-20220623.1/absl', 'absl']],
    licences: [['0/abseil-20220623.1/LICENSE', 'LICENSE'], ['1/debian/copyright', 'LICENSE.debian-copyright']],
  }],
  // semble's labels are for Jackson 3 (package tools.jackson.databind); Debian 12 has 2.14 (com.fasterxml.jackson.databind):
  // its files are laid out at semble's root, so a label resolves where 2.14 has a file of the same relative name.
  'jackson-databind': ['java', 'https://github.com/FasterXML/jackson-databind', 'e30139539416f69f1d7ae31c7e1d6da5b25bf362', 'src/main/java/tools/jackson/databind', {
    source: 'jackson-databind 2.14.0-1+deb12u1 (Debian 12 source package, upstream tarball)',
    sources: [
      { src: 'pool/main/j/jackson-databind', file: 'jackson-databind_2.14.0.orig.tar.xz', sha256: 'ec086218027c3ecf235fcda042bf04d87b4178ee225f0633f062cd20e64f74a9' },
      { src: 'pool/main/j/jackson-databind', file: 'jackson-databind_2.14.0-1+deb12u1.debian.tar.xz', sha256: '26c2688e2a53574cac9631a5c2513da5a9a18f235a68453a9d076a7aec35783f' },
    ],
    layout: [['0/jackson-databind-jackson-databind-2.14.0/src/main/java/com/fasterxml/jackson/databind', 'src/main/java/tools/jackson/databind']],
    licences: [['0/jackson-databind-jackson-databind-2.14.0/LICENSE', 'LICENSE'], ['1/debian/copyright', 'LICENSE.debian-copyright']],
  }],
  rails: ['ruby', 'https://github.com/rails/rails', '75f9e28379ac7418b82fa950cfa81f6147275308', 'railties/lib/rails', {
    source: 'rails 2:6.1.7.10+dfsg-1~deb12u2 (Debian 12 source package, upstream tarball)',
    sources: [
      { src: 'pool/main/r/rails', file: 'rails_6.1.7.10+dfsg.orig.tar.xz', sha256: '54f0c056757697e2fd6887e622c23fac5eb862a65ac497e9e3a5081a3dc57f66' },
      { src: 'pool/main/r/rails', file: 'rails_6.1.7.10+dfsg-1~deb12u2.debian.tar.xz', sha256: 'b8e474790eaf5a00888978fa5c85b05530f22dffe023970134430c527d1519d4' },
    ],
    layout: [['0/rails-6.1.7.10/railties/lib/rails', 'railties/lib/rails']],
    licences: [['0/rails-6.1.7.10/MIT-LICENSE', 'MIT-LICENSE'], ['1/debian/copyright', 'LICENSE.debian-copyright']],
  }],
  'laravel-framework': ['php', 'https://github.com/laravel/framework', '0dcc8d2ba7f41bc8376a08e9ccd5d7b83e6a6d90', 'src/Illuminate', {
    source: 'php-laravel-framework 8.83.26+dfsg-2 (Debian 12 source package, upstream tarball)',
    sources: [
      { src: 'pool/main/p/php-laravel-framework', file: 'php-laravel-framework_8.83.26+dfsg.orig.tar.xz', sha256: 'dae1be708d1aea10f38be5a73cf8e583218a6a849a98797ae147b4975c328c84' },
      { src: 'pool/main/p/php-laravel-framework', file: 'php-laravel-framework_8.83.26+dfsg-2.debian.tar.xz', sha256: '7bd652ecb1a48412903a0842528a758a5d0afa559ebc0a1efc4dba45018f94bd' },
    ],
    layout: [['0/php-laravel-framework-8.83.26/src/Illuminate', 'src/Illuminate']],
    licences: [['0/php-laravel-framework-8.83.26/LICENSE.md', 'LICENSE.md'], ['1/debian/copyright', 'LICENSE.debian-copyright']],
  }],
  // semble's labels use serde_core/src/... and serde_derive/src/... (a newer serde, split into serde_core): the 1.0.152
  // serde crate's src/ (and build.rs) is laid out at serde_core/, the serde_derive crate's at serde_derive/. The
  // repository root is indexed (semble has no benchmark_root for serde); the upstream licence files sit at its top,
  // as upstream has them (rust-serde's debian.tar.xz was not downloadable here).
  serde: ['rust', 'https://github.com/serde-rs/serde', 'fa7da4a93567ed347ad0735c28e439fca688ef26', '', {
    source: 'rust-serde 1.0.152-2 (Debian 12 source package, upstream tarball) + librust-serde-derive-dev 1.0.152-1 (Debian 12 binary package)',
    sources: [
      { src: 'pool/main/r/rust-serde', file: 'rust-serde_1.0.152.orig.tar.gz', sha256: 'bb7d1f0d3021d347a83e556fc4683dea2ea09d87bccdf88ff5c12545d89d5efb' },
      { deb: 'librust-serde-derive-dev', version: '1.0.152-1', sha256: 'dda7dcb30637fe3ea234343677795567608119bdaa53ca70d5ad263d414fcbea' },
    ],
    layout: [
      ['0/serde-1.0.152/src', 'serde_core/src'],
      ['0/serde-1.0.152/build.rs', 'serde_core/build.rs'],
      ['1/usr/share/cargo/registry/serde_derive-1.0.152/src', 'serde_derive/src'],
      ['1/usr/share/cargo/registry/serde_derive-1.0.152/build.rs', 'serde_derive/build.rs'],
    ],
    licences: [['0/serde-1.0.152/LICENSE-MIT', 'LICENSE-MIT'], ['0/serde-1.0.152/LICENSE-APACHE', 'LICENSE-APACHE']],
  }],
};

/** Symbol queries with a line span: how the symbol is declared (the span moves to the one matching line, keeping its length). */
const DECLARATIONS = {
  'jackson-databind/ObjectMapper': /^public class ObjectMapper\b/,
  'jackson-databind/JsonMapper': /^public class JsonMapper\b/,
  'jackson-databind/ObjectNode': /^public class ObjectNode\b/,
  'rails/Rails::Engine': /^ {2}class Engine < Railtie\b/,
};

/** One source file in the download cache, checked against its sha256; returns its path. */
function fetch(s) {
  if (s.src) return fetchDebianSource(dl, s.src, s.file, s.sha256);
  const prefix = `${s.deb}_${s.version.replace(/:/g, '%3a')}_`;
  const find = () => readdirSync(dl).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  if (!find()) run('apt-get', ['download', '-q', `${s.deb}=${s.version}`], dl);
  const file = find() && path.join(dl, find());
  if (!file) throw new Error(`no ${prefix}*.deb in ${dl}`);
  const got = sha256(file);
  if (got !== s.sha256) throw new Error(`${file}: sha256 ${got}, expected ${s.sha256}`);
  return file;
}

/** Unpacks one source file into `dir`: a tarball's members (only `members`, when given), or a .deb's content. */
function unpack(file, dir, members) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (file.endsWith('.deb')) run('dpkg', ['-x', file, dir]);
  else run('tar', ['-xf', file, '-C', dir, ...members]);
}

mkdirSync(dl, { recursive: true });
mkdirSync(out, { recursive: true });
const specs = [];
const report = [];
for (const [name, [language, url, revision, root, pkg]] of Object.entries(REPOS)) {
  const labelFile = path.join(labels, `${name}.json`);
  if (!existsSync(labelFile)) throw new Error(`no labels for ${name}: ${labelFile}`);

  // The sources, unpacked (from a tarball, only the members the layout and licences use).
  const unpacked = path.join(dl, '_unpacked', name);
  const copies = [...pkg.layout, ...pkg.licences];
  pkg.sources.forEach((s, i) => {
    const members = copies.filter(([from]) => from.startsWith(`${i}/`)).map(([from]) => from.slice(`${i}/`.length));
    unpack(fetch(s), path.join(unpacked, String(i)), members);
  });

  // The root's content at its upstream path; the licence files at the top of the repository folder.
  const repo = path.join(out, name);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(path.join(repo, root), { recursive: true });
  for (const [from, to] of copies) {
    mkdirSync(path.dirname(path.join(repo, to)), { recursive: true });
    cpSync(path.join(unpacked, from), path.join(repo, to), { recursive: true });
  }

  const all = JSON.parse(readFileSync(labelFile, 'utf8'));
  const { kept, droppedQueries, droppedTargets, notes, categories } = relabel(repo, name, all, DECLARATIONS);
  writeAnnotations(out, name, kept);
  const source = pkg.source;
  specs.push({ name, language, url, revision, root: root ? `${name}/${root}` : name, source });
  report.push({ name, language, source, files: pkg.sources.map((s) => s.file ?? `${s.deb}_${s.version}.deb`), labelled: all.length, kept: kept.length, categories, droppedQueries, droppedTargets, spans: notes });
  process.stderr.write(`${name}: ${source}, ${kept.length} queries kept, ${droppedQueries.length} dropped, ${droppedTargets.length} targets dropped, ${notes.length} spans changed\n`);
}
writeRepos(out, specs);
writeFileSync(path.join(out, '_build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${out}\n`);
