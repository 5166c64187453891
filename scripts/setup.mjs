#!/usr/bin/env node
// `npm run setup`: install dependencies, build, provision the default embedding model.
// Idempotent: each step is skipped when its inputs have not changed, so a re-run takes seconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const log = (m) => process.stderr.write(`[setup] ${m}\n`);

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function hashOf(files) {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    if (existsSync(path.join(root, f))) h.update(readFileSync(path.join(root, f)));
  }
  return h.digest('hex');
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  if (existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

function step(name, inputs, stampFile, fn) {
  const stamp = path.join(root, stampFile);
  const want = hashOf(inputs);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
    log(`${name}: up to date`);
    return;
  }
  const t = Date.now();
  fn();
  writeFileSync(stamp, want);
  log(`${name}: done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

const t0 = Date.now();

// 1. Dependencies. onnxruntime-node's postinstall would fetch CUDA binaries: skip it (the CPU build ships in the package).
step('dependencies', ['package.json', 'package-lock.json'], 'node_modules/.kindred-deps-stamp', () => {
  const ci = existsSync(path.join(root, 'package-lock.json')) && !existsSync(path.join(root, 'node_modules'));
  run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_nodedir: process.env.npm_config_nodedir || '/usr' });
});

// 2. Build: type-check + compile for tests (out/), bundle for the extension and CLI (dist/).
const sources = [...listFiles('src'), ...listFiles('test').filter((f) => f.endsWith('.ts')), 'tsconfig.json', 'esbuild.mjs', 'package.json'];
step('build', sources, 'node_modules/.kindred-build-stamp', () => {
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
  // The panel's script (DOM types, no Node types): esbuild bundles without type-checking, so a protocol
  // change the panel does not follow must fail here.
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'src/webview']);
  run(process.execPath, ['esbuild.mjs']);
});

// 3. The default embedding model, converted once into the user cache (outside the repo).
run(process.execPath, ['scripts/models/setup-models.mjs', ...(quiet ? ['--quiet'] : [])]);

// 4. A real VS Code to run the extension in: code-server (Node 24) and chromium, in the user cache.
run(process.execPath, ['scripts/tools/setup-code-server.mjs']);

log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
