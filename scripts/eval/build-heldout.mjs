#!/usr/bin/env node
// Builds the held-out repository set that docs/model-eval.md reports ("Held-out set"): eleven repositories of
// semble's public benchmark that are not in ../shared/eval/repos, in that set's layout (repos.json +
// annotations/<name>.json), so that `kindred eval repos <out>` scores them.
//
//   node scripts/eval/build-heldout.mjs --labels DIR [--out DIR]
//
// --labels: a folder with semble's annotation files (<name>.json, from MinishLab/semble's benchmarks/annotations,
// MIT licence). --out: where to build (default: ~/.cache/kindred/eval-heldout). The sources are the published
// packages (PyPI wheels, npm tarballs; the network this needs is pip's and npm's), at the versions below, not the
// revisions the labels were written against: every labelled file exists in them, and the line spans of the
// symbol queries that have one are moved to the symbol's declaration in the packaged file (DECLARATIONS).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { builderOptions, inferCategory, run, writeAnnotations, writeRepos } from './heldout-common.mjs';

const { labels, out } = builderOptions('scripts/eval/build-heldout.mjs', 'eval-heldout');

/** name → language, upstream, the revision the labels were written against, the indexed root, and the package used. */
const REPOS = {
  flask: ['python', 'https://github.com/pallets/flask', '258d68b6ff5e2244386540f48b48bab90d6ab827', 'src/flask', { pypi: 'flask==3.1.3', dir: 'flask' }],
  httpx: ['python', 'https://github.com/encode/httpx', 'b5addb64f0161ff6bfe94c124ef76f6a1fba5254', 'httpx', { pypi: 'httpx==0.28.1', dir: 'httpx' }],
  requests: ['python', 'https://github.com/psf/requests', 'ef439eb779c1eba7cbdeeeb302b11e1e061b4b7d', 'src/requests', { pypi: 'requests==2.34.2', dir: 'requests' }],
  starlette: ['python', 'https://github.com/encode/starlette', '1894d0d89badf43bc8bfe03ed221a8b2e100b2ab', 'starlette', { pypi: 'starlette==1.10.0', dir: 'starlette' }],
  fastapi: ['python', 'https://github.com/fastapi/fastapi', 'c3c9dd6b1a08bcda766e7b43eafe72c4c5e9e193', 'fastapi', { pypi: 'fastapi==0.165.0', dir: 'fastapi' }],
  model2vec: ['python', 'https://github.com/MinishLab/model2vec', 'b3012ee04e41c634383a5d735cb3c7c51e806a18', 'model2vec', { pypi: 'model2vec==0.10.0', dir: 'model2vec' }],
  express: ['javascript', 'https://github.com/expressjs/express', '8e022edc9185f540a3fcecaf5e56b850d919cdac', 'lib', { npm: 'express@5.3.0', dir: 'lib' }],
  axios: ['javascript', 'https://github.com/axios/axios', 'c7a76ddbf277db864ee6cfb4ef17b8a08ffbe3f5', 'lib', { npm: 'axios@1.21.1', dir: 'lib' }],
  redux: ['typescript', 'https://github.com/reduxjs/redux', 'aaa04ae8402ba2caba55a9c75bfa8d3df6c78f8c', 'src', { npm: 'redux@5.0.1', dir: 'src' }],
  zod: ['typescript', 'https://github.com/colinhacks/zod', 'c7805073fef5b6b8857307c3d4b3597a70613bc2', 'packages/zod/src', { npm: 'zod@4.6.7', dir: 'src' }],
  trpc: ['typescript', 'https://github.com/trpc/trpc', 'c188dab0822caf3615199e4ac95147bc7560d26f', 'packages/server/src', { npm: '@trpc/server@11.25.2', dir: 'src' }],
};

/** Symbol queries with a line span: where the symbol is declared in the packaged file (the span keeps its length). */
const DECLARATIONS = {
  'requests/Session': /^class Session\(/,
  'requests/HTTPDigestAuth': /^class HTTPDigestAuth\(/,
  'requests/PreparedRequest': /^class PreparedRequest\(/,
  'requests/HTTPAdapter': /^class HTTPAdapter\(/,
  'requests/Response': /^class Response\b/,
  'fastapi/Depends': /^class Depends\b/,
  'fastapi/HTTPException': /^class HTTPException\(/,
  'fastapi/APIRouter': /^class APIRouter\(/,
  'fastapi/BackgroundTasks': /^class BackgroundTasks\(/,
  'fastapi/OAuth2PasswordBearer': /^class OAuth2PasswordBearer\(/,
  'axios/Axios': /^class Axios\b/,
  'axios/InterceptorManager': /^class InterceptorManager\b/,
  'axios/mergeConfig': /^export default function mergeConfig\(/,
};

const dl = path.join(out, '_downloads');
mkdirSync(dl, { recursive: true });
const specs = [];
for (const [name, [language, url, revision, root, pkg]] of Object.entries(REPOS)) {
  const labelFile = path.join(labels, `${name}.json`);
  if (!existsSync(labelFile)) throw new Error(`no labels for ${name}: ${labelFile}`);
  const unpacked = path.join(dl, name);
  rmSync(unpacked, { recursive: true, force: true });
  mkdirSync(unpacked, { recursive: true });
  let source;
  if (pkg.pypi) {
    run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary', ':all:', pkg.pypi, '-d', dl]);
    const wheel = readdirSync(dl).find((f) => f.toLowerCase().startsWith(`${pkg.pypi.split('==')[0].replace(/-/g, '_')}-${pkg.pypi.split('==')[1]}-`) && f.endsWith('.whl'));
    if (!wheel) throw new Error(`no wheel for ${pkg.pypi} in ${dl}`);
    run('python3', ['-m', 'zipfile', '-e', path.join(dl, wheel), unpacked]);
    source = `${pkg.pypi.replace('==', ' ')} (PyPI wheel)`;
  } else {
    const tgz = run('npm', ['pack', pkg.npm, '--silent'], dl).trim().split('\n').pop();
    run('tar', ['-xzf', path.join(dl, tgz), '-C', unpacked]);
    source = `${pkg.npm.replace(/@(?=[^@]*$)/, ' ')} (npm)`;
  }
  const from = pkg.pypi ? path.join(unpacked, pkg.dir) : path.join(unpacked, 'package', pkg.dir);
  const repo = path.join(out, name);
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(path.dirname(path.join(repo, root)), { recursive: true });
  cpSync(from, path.join(repo, root), { recursive: true });
  // The package's licence beside the code (wheels keep it in *.dist-info/).
  const licenceDirs = pkg.pypi ? readdirSync(unpacked).filter((d) => d.endsWith('.dist-info')).flatMap((d) => [path.join(unpacked, d), path.join(unpacked, d, 'licenses')]) : [path.join(unpacked, 'package')];
  const licence = licenceDirs.flatMap((d) => (existsSync(d) ? readdirSync(d, { withFileTypes: true }).filter((f) => f.isFile() && /^(licen[cs]e|copying)/i.test(f.name)).map((f) => path.join(d, f.name)) : []))[0];
  if (licence) cpSync(licence, path.join(repo, path.basename(licence)));
  else writeFileSync(path.join(repo, 'LICENSE-NOTE.txt'), `${source} ships no licence file; see its package metadata and ${url}.\n`);

  const kept = [];
  let dropped = 0;
  for (const a of JSON.parse(readFileSync(labelFile, 'utf8'))) {
    const fix = (t) => {
      if (typeof t === 'string') return t;
      const decl = DECLARATIONS[`${name}/${a.query}`];
      if (!decl) return t;
      const lines = readFileSync(path.join(repo, t.path), 'utf8').split('\n');
      const hits = lines.flatMap((l, i) => (decl.test(l) ? [i + 1] : []));
      if (hits.length !== 1) throw new Error(`${name} "${a.query}": ${hits.length} declarations match ${decl}`);
      return { path: t.path, start_line: hits[0], end_line: hits[0] + (t.end_line - t.start_line) };
    };
    const exists = (t) => existsSync(path.join(repo, typeof t === 'string' ? t : t.path));
    const relevant = (a.relevant ?? []).map(fix).filter(exists);
    const secondary = (a.secondary ?? []).map(fix).filter(exists);
    if (!relevant.length && !secondary.length) {
      dropped++;
      continue;
    }
    kept.push({ query: a.query, relevant, secondary, category: a.category || inferCategory(a.query) });
  }
  writeAnnotations(out, name, kept);
  specs.push({ name, language, url, revision, root: `${name}/${root}`, source });
  process.stderr.write(`${name}: ${source}, ${kept.length} queries kept, ${dropped} dropped\n`);
}
writeRepos(out, specs);
process.stdout.write(`${out}\n`);
