#!/usr/bin/env node
// Builds the whole-repository sets that docs/model-eval.md reports ("Whole repositories", twelfth session): the same
// labelled questions as the held-out and development sets, over the whole source distribution of each project (its
// tests, docs, examples and tooling beside the code, as people open a repository), where the other sets index the
// package's source folder only. Also builds "packages 4", four packages with questions written for this project.
//
//   node scripts/eval/build-wholerepo.mjs --set whole1|whole2|packages4 [--heldout DIR] [--heldout4 DIR] [--out DIR]
//
// whole1: flask, httpx, requests, starlette, fastapi (labels from the held-out set, --heldout: built by
//         build-heldout.mjs), libuv (labels and upstream tarball from held out 4, --heldout4: build-heldout4.mjs),
//         click (labels from scripts/eval/labels/packages4). whole2: aiohttp and pydantic (labels from
//         ../shared/eval/repos) and model2vec (--heldout). packages4: rich, click, koa, commander (labels in
//         scripts/eval/labels/packages4, written before any search over them). Sources: PyPI sdists (pip), npm tarballs.
// Targets are matched by path suffix (the scorer's rule), so labels written against the upstream layout apply as they are.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emptySetFolder, run, writeRepos } from './heldout-common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { set: { type: 'string' }, heldout: { type: 'string' }, heldout4: { type: 'string' }, out: { type: 'string' } } });
const SETS = ['whole1', 'whole2', 'packages4'];
if (!SETS.includes(values.set)) {
  process.stderr.write('usage: node scripts/eval/build-wholerepo.mjs --set whole1|whole2|packages4 [--heldout DIR] [--heldout4 DIR] [--out DIR]\n');
  process.exit(2);
}
const cache = process.env.KINDRED_CACHE_DIR || path.join(os.homedir(), '.cache', 'kindred');
const heldout = path.resolve(values.heldout ?? path.join(cache, 'eval-heldout'));
const heldout4 = path.resolve(values.heldout4 ?? path.join(cache, 'eval-heldout4'));
const dev = path.resolve(here, '../../../shared/eval/repos');
const mine = path.join(here, 'labels', 'packages4');
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
  } else {
    if (!existsSync(src.tarball)) throw new Error(`${src.tarball} is missing: build held out 4 first (scripts/eval/build-heldout4.mjs)`);
    cpSync(src.tarball, path.join(dl, path.basename(src.tarball)));
    archive = path.basename(src.tarball);
    source = `${path.basename(src.tarball)} (Debian 12 upstream tarball)`;
    url = 'https://github.com/libuv/libuv';
  }
  if (!archive) throw new Error(`no source archive for ${name} in ${dl}`);
  run('tar', ['-xf', path.join(dl, archive), '-C', unpacked]);
  const [top] = readdirSync(unpacked);
  cpSync(labelFile, path.join(out, 'annotations', `${name}.json`));
  specs.push({ name, language, url, revision: source, root: `${name}/${top}`, source });
  process.stderr.write(`${name}: ${source}\n`);
}
writeRepos(out, specs);
process.stdout.write(`${out}\n`);
