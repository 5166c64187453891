#!/usr/bin/env node
// `npm run package`: a platform VSIX (linux-x64 here) with the native addons, the webview assets and,
// unless --no-model, the default model (int8) bundled so the extension works offline from the first start.
// Prints the VSIX path as the last stdout line. Skips work when the VSIX is newer than its inputs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const target = `${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`;
const withModel = !process.argv.includes('--no-model');
const out = path.join(root, `${pkg.name}-${target}-${pkg.version}.vsix`);
const log = (m) => process.stderr.write(`[package] ${m}\n`);
const modelId = 'Xenova/all-MiniLM-L6-v2';
const cache = process.env.KINDRED_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kindred');
const modelSrc = path.join(process.env.KINDRED_MODELS_DIR || path.join(cache, 'models'), modelId);

function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

const inputs = ['dist', 'media', 'package.json', 'README.md', 'CHANGELOG.md', '.vscodeignore'].map((p) => path.join(root, p)).filter(existsSync);
if (existsSync(out) && statSync(out).mtimeMs > Math.max(...inputs.map(newest)) && !process.argv.includes('--force')) {
  log(`up to date: ${path.basename(out)}`);
  process.stdout.write(`${out}\n`);
  process.exit(0);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status || 1);
  }
};

run(process.execPath, ['esbuild.mjs', '--production']);
const staged = path.join(root, 'models');
rmSync(staged, { recursive: true, force: true });
if (withModel) {
  if (!existsSync(path.join(modelSrc, 'onnx/model_quantized.onnx'))) {
    log(`the default model is not provisioned at ${modelSrc}: run \`npm run setup\` first, or pass --no-model`);
    process.exit(1);
  }
  const dest = path.join(staged, modelId);
  mkdirSync(path.join(dest, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'kindred-provenance.json']) {
    if (existsSync(path.join(modelSrc, f))) cpSync(path.join(modelSrc, f), path.join(dest, f));
  }
  cpSync(path.join(modelSrc, 'onnx/model_quantized.onnx'), path.join(dest, 'onnx/model_quantized.onnx'));
}
try {
  run(process.execPath, [
    path.join(root, 'node_modules/@vscode/vsce/vsce'),
    'package',
    '--target',
    target,
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '--out',
    out,
  ]);
} finally {
  rmSync(staged, { recursive: true, force: true });
  // Back to a development build (with source maps) for tests and debugging.
  run(process.execPath, ['esbuild.mjs']);
}
log(`${path.basename(out)}: ${(statSync(out).size / 1e6).toFixed(1)} MB`);
process.stdout.write(`${out}\n`);
