#!/usr/bin/env node
// Builds "held-out set 3": repositories of semble's public benchmark in languages the other sets lack (Go, PHP, Ruby,
// C++), in the layout of ../shared/eval/repos (repos.json + annotations/<name>.json), so that
// `kindred eval repos <out>` scores them.
//
//   node scripts/eval/build-heldout3.mjs --labels DIR [--out DIR]
//
// --labels: a folder with semble's annotation files (<name>.json, from MinishLab/semble's benchmarks/annotations,
// MIT licence; guzzle and monolog from the fork michalfedyna/semble). --out: where to build (default:
// ~/.cache/kindred/eval-heldout3). The sources are Debian 12 (bookworm) binary packages at the versions below
// (`apt-get download` + `dpkg -x`; the network this needs is apt's), NOT the revisions the labels were written
// against: labelled files missing from the packaged version are dropped, and a query left with no target is dropped.
// Line spans: a symbol query's span is moved to the symbol's declaration in the packaged file (DECLARATIONS) when
// exactly one declaration matches; any other span is kept only if the file's declaration anchors (those symbol
// spans) did not move, and is otherwise reduced to its path.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { builderOptions, relabel, run, writeAnnotations, writeRepos } from './heldout-common.mjs';

const { labels, out } = builderOptions('scripts/eval/build-heldout3.mjs', 'eval-heldout3');

const GOCODE = 'usr/share/gocode/src/github.com';
const GEMS = 'usr/share/rubygems-integration/all/gems';
/**
 * name → language, upstream, the revision the labels were written against (semble's benchmarks/repos.json), the
 * indexed root (its benchmark_root; '' = the repository root), and the Debian package used: its name, version, the
 * folder in it that holds the root's content, and files in that folder that are not upstream's (build artefacts,
 * Debian-generated autoloaders).
 */
const REPOS = {
  gin: ['go', 'https://github.com/gin-gonic/gin', 'd3ffc9985281dcf4d3bef604cce4e662b1a327a6', '', { deb: 'golang-github-gin-gonic-gin-dev', version: '1.8.1-1', dir: `${GOCODE}/gin-gonic/gin`, drop: ['test'] }],
  cobra: ['go', 'https://github.com/spf13/cobra', '61968e893eee2f27696c2fbc8e34fa5c4afaf7c4', '', { deb: 'golang-github-spf13-cobra-dev', version: '1.6.1-1', dir: `${GOCODE}/spf13/cobra` }],
  chi: ['go', 'https://github.com/go-chi/chi', 'a54874f0e2f12647a19e82ee70dfa8185014100c', '', { deb: 'golang-github-go-chi-chi-dev', version: '5.0.7-1', dir: `${GOCODE}/go-chi/chi` }],
  guzzle: ['php', 'https://github.com/guzzle/guzzle', 'fb92d95f80a9da51bf8f2a5b26d8e8ea3b6d99ed', 'src', { deb: 'php-guzzlehttp-guzzle', version: '7.4.5-1', dir: 'usr/share/php/GuzzleHttp', drop: ['autoload.php'] }],
  monolog: ['php', 'https://github.com/Seldaek/monolog', '68b974809baff3f071893de61447212e9e688ee7', 'src/Monolog', { deb: 'php-monolog', version: '2.9.1-1', dir: 'usr/share/php/Monolog', drop: ['autoload.php'] }],
  sinatra: ['ruby', 'https://github.com/sinatra/sinatra', 'f891dd2b6f4911e356600efe6c3b82af97d262c6', 'lib', { deb: 'ruby-sinatra', version: '3.0.5-3+deb12u1', dir: `${GEMS}/sinatra-3.0.5/lib` }],
  rack: ['ruby', 'https://github.com/rack/rack', 'ca8a404704ed043797c4f9d482c97d722c0dc719', 'lib/rack', { deb: 'ruby-rack', version: '2.2.22-0+deb12u2', dir: `${GEMS}/rack-2.2.22/lib/rack` }],
  'nlohmann-json': ['cpp', 'https://github.com/nlohmann/json', '3946872265598aed5a7aea68cad4d9d1f168bd4b', 'include/nlohmann', { deb: 'nlohmann-json3-dev', version: '3.11.2-2', dir: 'usr/include/nlohmann' }],
  fmtlib: ['cpp', 'https://github.com/fmtlib/fmt', '382609a920d2c43c00f2951233bc0d578a783982', 'include/fmt', { deb: 'libfmt-dev', version: '9.1.0+ds1-2', dir: 'usr/include/fmt' }],
};

/** Symbol queries with a line span: how the symbol is declared (the span moves to the one matching line, keeping its length). */
const DECLARATIONS = {
  'sinatra/Sinatra::Helpers': /^ {2}module Helpers\b/,
  'rack/Rack::Response': /^ {2}class Response\b/,
  'rack/Rack::Builder': /^ {2}class Builder\b/,
};


const dl = path.join(out, '_downloads');
mkdirSync(dl, { recursive: true });
const specs = [];
const report = [];
for (const [name, [language, url, revision, root, pkg]] of Object.entries(REPOS)) {
  const labelFile = path.join(labels, `${name}.json`);
  if (!existsSync(labelFile)) throw new Error(`no labels for ${name}: ${labelFile}`);
  // The package, unpacked.
  const debPrefix = `${pkg.deb}_${pkg.version.replace(/:/g, '%3a')}_`;
  if (!readdirSync(dl).some((f) => f.startsWith(debPrefix) && f.endsWith('.deb'))) run('apt-get', ['download', '-q', `${pkg.deb}=${pkg.version}`], dl);
  const deb = readdirSync(dl).find((f) => f.startsWith(debPrefix) && f.endsWith('.deb'));
  if (!deb) throw new Error(`no ${debPrefix}*.deb in ${dl}`);
  const unpacked = path.join(dl, name);
  rmSync(unpacked, { recursive: true, force: true });
  mkdirSync(unpacked, { recursive: true });
  run('dpkg', ['-x', path.join(dl, deb), unpacked]);
  const source = `${pkg.deb} ${pkg.version} (Debian 12 package)`;

  // The root's content at its upstream path, without the package's own additions; Debian's copyright file (which
  // carries the licence texts) beside it, at the top of the repository folder.
  const repo = path.join(out, name);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(path.join(repo, root), { recursive: true });
  const from = path.join(unpacked, pkg.dir);
  cpSync(from, path.join(repo, root), { recursive: true, filter: (src) => !(pkg.drop ?? []).includes(path.relative(from, src).split(path.sep).join('/')) });
  cpSync(path.join(unpacked, 'usr/share/doc', pkg.deb, 'copyright'), path.join(repo, 'LICENSE.debian-copyright'));

  const all = JSON.parse(readFileSync(labelFile, 'utf8'));
  const { kept, droppedQueries, droppedTargets, notes } = relabel(repo, name, all, DECLARATIONS);
  writeAnnotations(out, name, kept);
  specs.push({ name, language, url, revision, root: root ? `${name}/${root}` : name, source });
  report.push({ name, source, labelled: all.length, kept: kept.length, droppedQueries, droppedTargets, spans: notes });
  process.stderr.write(`${name}: ${source}, ${kept.length} queries kept, ${droppedQueries.length} dropped, ${droppedTargets.length} targets dropped, ${notes.length} spans changed\n`);
}
writeRepos(out, specs);
writeFileSync(path.join(out, '_build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${out}\n`);
