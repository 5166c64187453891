#!/usr/bin/env node
// Builds the whole-repository sets that docs/model-eval.md reports ("Whole repositories", twelfth session): the same
// labelled questions as the held-out and development sets, over the whole source distribution of each project (its
// tests, docs, examples and tooling beside the code, as people open a repository), where the other sets index the
// package's source folder only. Also builds "packages 4", "held out 6", "held out 7" and "held out 8", packages with
// questions written for this project.
//
//   node scripts/eval/build-wholerepo.mjs --set whole1|whole2|packages4|heldout6|heldout7|heldout8 [--heldout DIR] [--heldout4 DIR] [--out DIR]
//
// whole1: flask, httpx, requests, starlette, fastapi (labels from the held-out set, --heldout: built by
//         build-heldout.mjs), libuv (labels and upstream tarball from held out 4, --heldout4: build-heldout4.mjs),
//         click (labels from scripts/eval/labels/packages4). whole2: aiohttp and pydantic (labels from
//         ../shared/eval/repos) and model2vec (--heldout). packages4: rich, click, koa, commander (labels in
//         scripts/eval/labels/packages4, written before any search over them). heldout6 (thirteenth session): logrus,
//         viper (Go) and yargs (TypeScript), whole upstream tarballs of Debian 12 source packages (tests, docs,
//         examples, CI files), 42 questions in scripts/eval/labels/heldout6 written before any search over them and
//         never tuned on. heldout7 (fifteenth session): react-native-vision-camera and @stripe/stripe-react-native (Kotlin
//         and Swift), whole npm tarballs with their native android/ and ios/ code beside the TypeScript and its
//         compiled lib/, 40 questions (38 answered by .kt/.swift files) in scripts/eval/labels/heldout7 written from
//         reading the code before any search over them; its first run found the build-output rule (ranking/generated.ts).
//         heldout8 (fifteenth session): pythonnet 3.2.1 (C#, the whole PyPI sdist: src/runtime beside its Python
//         package, tests and build files) and Penlight (Lua, Debian 12's lua-penlight 1.13.1-3 binary package: the
//         modules of usr/share/lua/5.1/pl as pl/, its usr/share/doc files as doc/, gunzipped), 40 questions (18 of
//         pythonnet's 20 answered by .cs files, all of Penlight's by .lua) in scripts/eval/labels/heldout8 written from
//         reading the code before any search over them.
//         Sources: PyPI sdists (pip), npm tarballs, Debian upstream tarballs and binary packages (curl, sha256-checked).
// Targets are matched by path suffix (the scorer's rule), so labels written against the upstream layout apply as they are.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emptySetFolder, fetchDebianSource, run, writeRepos } from './heldout-common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { set: { type: 'string' }, heldout: { type: 'string' }, heldout4: { type: 'string' }, out: { type: 'string' } } });
const SETS = ['whole1', 'whole2', 'packages4', 'heldout6', 'heldout7', 'heldout8'];
if (!SETS.includes(values.set)) {
  process.stderr.write('usage: node scripts/eval/build-wholerepo.mjs --set whole1|whole2|packages4|heldout6|heldout7|heldout8 [--heldout DIR] [--heldout4 DIR] [--out DIR]\n');
  process.exit(2);
}
const cache = process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred');
const heldout = path.resolve(values.heldout ?? path.join(cache, 'eval-heldout'));
const heldout4 = path.resolve(values.heldout4 ?? path.join(cache, 'eval-heldout4'));
const dev = path.resolve(here, '../../../shared/eval/repos');
const mine = path.join(here, 'labels', 'packages4');
const mine6 = path.join(here, 'labels', 'heldout6');
const mine7 = path.join(here, 'labels', 'heldout7');
const mine8 = path.join(here, 'labels', 'heldout8');
/** A Debian 12 source package's upstream tarball: pool directory, file, sha256 (from bookworm's Sources index), upstream URL. */
const debian = (pool, file, sha256, upstream) => ({ debian: { pool, file, sha256, upstream } });
/** A Debian 12 binary package (.deb, from bookworm's Packages index) and the folders of it to keep: [from, to] pairs. */
const deb = (pool, file, sha256, upstream, keep) => ({ deb: { pool, file, sha256, upstream, keep } });
const out = path.resolve(values.out ?? path.join(cache, `eval-${values.set}`));

// name → [language, source, labels folder]
const sdist = (spec) => ({ pypi: spec });
const REPOS = {
  whole1: {
    flask: ['python', sdist('flask==3.1.3'), heldout],
    httpx: ['python', sdist('httpx==0.28.1'), heldout],
    requests: ['python', sdist('requests==2.34.2'), heldout],
    starlette: ['python', sdist('starlette==1.10.0'), heldout],
    fastapi: ['python', sdist('fastapi==0.165.0'), heldout],
    libuv: ['c', { tarball: path.join(heldout4, '_downloads', 'libuv1_1.44.2.orig.tar.gz') }, path.join(heldout4, 'annotations')],
    click: ['python', sdist('click==8.1.8'), mine],
  },
  whole2: {
    aiohttp: ['python', sdist('aiohttp==3.14.5'), dev],
    pydantic: ['python', sdist('pydantic==2.14.4'), dev],
    model2vec: ['python', sdist('model2vec==0.10.0'), heldout],
  },
  packages4: {
    rich: ['python', sdist('rich==14.0.0'), mine],
    click: ['python', sdist('click==8.1.8'), mine],
    koa: ['javascript', { npm: 'koa@2.15.3' }, mine],
    commander: ['javascript', { npm: 'commander@12.1.0' }, mine],
  },
  heldout6: {
    logrus: ['go', debian('pool/main/g/golang-logrus', 'golang-logrus_1.9.0.orig.tar.gz', '12446ed9eb96573c2aae4df2db81900a65bfd21d2ce92efde7201614e42134f7', 'https://github.com/sirupsen/logrus'), mine6],
    viper: ['go', debian('pool/main/g/golang-github-spf13-viper', 'golang-github-spf13-viper_1.10.1.orig.tar.gz', '9d4276ff76799b7e5a4ad39542df3b27e3b24e70356e84ceaa338c782617c275', 'https://github.com/spf13/viper'), mine6],
    yargs: ['typescript', debian('pool/main/n/node-yargs', 'node-yargs_16.2.0+~16.0.4.orig.tar.gz', '0e8c48f6d8666ccbbcca9cc9b01de8c679bac448189c091e950ef6d06133da5d', 'https://github.com/yargs/yargs'), mine6],
  },
  heldout7: {
    'vision-camera': ['kotlin+swift', { npm: 'react-native-vision-camera@4.7.3' }, mine7],
    'stripe-react-native': ['kotlin+swift', { npm: '@stripe/stripe-react-native@0.78.0' }, mine7],
  },
  heldout8: {
    pythonnet: ['csharp', sdist('pythonnet==3.2.1'), mine8],
    penlight: ['lua', deb('pool/main/l/lua-penlight', 'lua-penlight_1.13.1-3_all.deb', '69918434ee650d06aa470d49ba05a1a16ae43e66b8216e135cc5075f7d5d9ff3', 'https://github.com/lunarmodules/Penlight', [['usr/share/lua/5.1/pl', 'pl'], ['usr/share/doc/lua-penlight', 'doc']]), mine8],
  },
}[values.set];

const { dl } = emptySetFolder(out);
const specs = [];
for (const [name, [language, src, labelDir]] of Object.entries(REPOS)) {
  const labels = path.join(labelDir, 'annotations', `${name}.json`);
  const labelFile = existsSync(labels) ? labels : path.join(labelDir, `${name}.json`);
  if (!existsSync(labelFile)) throw new Error(`no labels for ${name} in ${labelDir} (build that set first, or pass its folder)`);
  const unpacked = path.join(out, name);
  mkdirSync(unpacked, { recursive: true });
  let archive;
  let source;
  let url;
  if (src.pypi) {
    run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--no-binary', ':all:', src.pypi, '-d', dl]);
    const [pkg, version] = src.pypi.split('==');
    archive = readdirSync(dl).find((f) => f.toLowerCase().replace(/_/g, '-').startsWith(`${pkg}-${version}`) && /\.(tar\.gz|zip)$/.test(f));
    source = `${pkg} ${version} (PyPI sdist)`;
    url = `https://pypi.org/project/${pkg}/${version}/`;
  } else if (src.npm) {
    archive = run('npm', ['pack', src.npm, '--silent'], dl).trim().split('\n').pop();
    source = `${src.npm.replace(/@(?=[^@]*$)/, ' ')} (npm)`;
    url = `https://www.npmjs.com/package/${src.npm.replace(/@(?=[^@]*$)/, '/v/')}`;
  } else if (src.debian) {
    const { pool, file, sha256, upstream } = src.debian;
    fetchDebianSource(dl, pool, file, sha256);
    archive = file;
    source = `${file} (Debian 12 upstream tarball)`;
    url = upstream;
  } else if (src.deb) {
    // A binary package: its files under <package>-<version>/, only the folders kept (the other Lua versions' folders
    // are symlinks to these), its gzipped docs unpacked.
    const { pool, file, sha256, upstream, keep } = src.deb;
    const x = path.join(dl, 'deb');
    run('dpkg', ['-x', fetchDebianSource(dl, pool, file, sha256), x]);
    const top = path.join(unpacked, file.replace(/_all\.deb$/, '').replace('_', '-'));
    for (const [from, to] of keep) cpSync(path.join(x, from), path.join(top, to), { recursive: true, dereference: true });
    for (const f of readdirSync(top, { recursive: true })) if (f.endsWith('.gz')) run('gzip', ['-d', path.join(top, f)]);
    source = `${file} (Debian 12 binary package)`;
    url = upstream;
  } else {
    if (!existsSync(src.tarball)) throw new Error(`${src.tarball} is missing: build held out 4 first (scripts/eval/build-heldout4.mjs)`);
    cpSync(src.tarball, path.join(dl, path.basename(src.tarball)));
    archive = path.basename(src.tarball);
    source = `${path.basename(src.tarball)} (Debian 12 upstream tarball)`;
    url = 'https://github.com/libuv/libuv';
  }
  if (!archive && !src.deb) throw new Error(`no source archive for ${name} in ${dl}`);
  if (archive) run('tar', ['-xf', path.join(dl, archive), '-C', unpacked]);
  const [top] = readdirSync(unpacked);
  cpSync(labelFile, path.join(out, 'annotations', `${name}.json`));
  specs.push({ name, language, url, revision: source, root: `${name}/${top}`, source });
  process.stderr.write(`${name}: ${source}\n`);
}
writeRepos(out, specs);
process.stdout.write(`${out}\n`);
