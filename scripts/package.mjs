#!/usr/bin/env node
// `npm run package`: a platform VSIX (linux-x64 here) with the native addons, the webview assets and,
// unless --no-model, the default model (int8) bundled so the extension works offline from the first start.
// Prints the VSIX path as the last stdout line. Skips work when the VSIX is newer than its inputs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import yauzl from 'yauzl';

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

const inputs = ['dist', 'media', 'docs/screenshots', 'package.json', 'README.md', 'CHANGELOG.md', '.vscodeignore'].map((p) => path.join(root, p)).filter(existsSync);
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
// The general-query check of *Adapt Search to This Workspace* (CoSQA test split and its corpus, MIT): packaged
// so that the editor can switch an adapter on without the user finding the data (kindred.adaptCheckFolder).
const cosqaSrc = process.env.KINDRED_COSQA_DIR || path.join(root, '..', 'shared', 'eval', 'cosqa');
const checks = path.join(root, 'checks');
rmSync(checks, { recursive: true, force: true });
const cosqaFiles = ['code_idx_map.txt', 'cosqa-retrieval-test-500.json', 'LICENSE'];
if (cosqaFiles.every((f) => existsSync(path.join(cosqaSrc, f)))) {
  mkdirSync(path.join(checks, 'cosqa'), { recursive: true });
  for (const f of cosqaFiles) cpSync(path.join(cosqaSrc, f), path.join(checks, 'cosqa', f));
  writeFileSync(
    path.join(checks, 'cosqa', 'NOTICE.txt'),
    'CoSQA code-search retrieval data (test split and its 6,267-function corpus), from the CoCLR repository\n' +
      '(Jun-jie-Huang/CoCLR, data/search), MIT licence (LICENSE). Used by "Kindred: Adapt Search to This Workspace"\n' +
      'to check that an adapter does not make general code-search queries worse.\n',
  );
} else {
  log(`no CoSQA data at ${cosqaSrc} (set KINDRED_COSQA_DIR): the VSIX has no general-query check, so Adapt Search keeps adapters off unless kindred.adaptCheckFolder is set`);
}
// The extension page renders the README in a webview whose sanitizer keeps only http(s) images (VS Code
// 1.139: relative paths and data: URLs are stripped), so packaged screenshots cannot show there. With
// KINDRED_README_IMAGES_URL (an https URL under which docs/screenshots/ is published, e.g. the repository's
// raw files), the packaged README points its images there; without it, each image becomes a line naming the
// screenshot instead of a broken image. The screenshots themselves are packaged for the Getting Started
// walkthrough, which shows them from the extension's files. The repository's README keeps relative links.
const imagesUrl = process.env.KINDRED_README_IMAGES_URL?.replace(/\/+$/, '');
if (imagesUrl && !imagesUrl.startsWith('https://')) {
  log(`KINDRED_README_IMAGES_URL must be an https URL (the extension page loads no other images): ${imagesUrl}`);
  process.exit(1);
}
const readme = path.join(root, 'out', 'README.vsix.md'); // vsce wants it inside the project; out/ is not packaged
mkdirSync(path.dirname(readme), { recursive: true });
let images = 0;
writeFileSync(
  readme,
  readFileSync(path.join(root, 'README.md'), 'utf8').replace(/!\[([^\]]*)\]\((docs\/screenshots\/[\w-]+\.png)\)/g, (_, alt, rel) => {
    images++;
    return imagesUrl ? `![${alt}](${imagesUrl}/${rel})` : `*Screenshot: ${alt} (in the “Get started with Kindred” walkthrough).*`;
  }),
);
if (!imagesUrl && images) log(`README: ${images} screenshots named, not shown, on the extension page (set KINDRED_README_IMAGES_URL to show them from an https URL)`);
try {
  run(process.execPath, [
    path.join(root, 'node_modules/@vscode/vsce/vsce'),
    'package',
    '--target',
    target,
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '--readme-path',
    path.relative(root, readme),
    '--out',
    out,
  ]);
} finally {
  rmSync(readme, { force: true });
  rmSync(staged, { recursive: true, force: true });
  rmSync(checks, { recursive: true, force: true });
  // Back to a development build (with source maps) for tests and debugging.
  run(process.execPath, ['esbuild.mjs']);
}
const { text: sizes, parts } = await sizeReport(out);
log(sizes);
if (existsSync(path.join(cosqaSrc, cosqaFiles[0])) && (parts.get('checks/')?.files ?? 0) < cosqaFiles.length + 1) {
  log('the VSIX lacks checks/cosqa (is checks/ excluded by .vscodeignore?)');
  process.exit(1);
}
writeFileSync(path.join(root, 'dist', 'vsix-size.txt'), `${sizes}\n`);
process.stdout.write(`${out}\n`);

/**
 * What makes up the VSIX: its size, the size once installed (unpacked), and each part's share: the
 * bundled model, the extension's own code, each runtime package. Also written to dist/vsix-size.txt.
 */
async function sizeReport(vsix) {
  const parts = new Map();
  let packed = 0;
  let unpacked = 0;
  let files = 0;
  await new Promise((resolve, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('entry', (e) => {
        if (!e.fileName.endsWith('/')) {
          const p = e.fileName.replace(/^extension\//, '').split('/');
          const key =
            p[0] === 'node_modules' ? `node_modules/${p[1].startsWith('@') ? `${p[1]}/${p[2]}` : p[1]}` : p[0] === 'models' ? 'models (bundled default model)' : p.length > 1 ? `${p[0]}/` : 'manifest, README, CHANGELOG, LICENSE';
          const part = parts.get(key) ?? { packed: 0, unpacked: 0, files: 0 };
          part.packed += e.compressedSize;
          part.unpacked += e.uncompressedSize;
          part.files++;
          parts.set(key, part);
          packed += e.compressedSize;
          unpacked += e.uncompressedSize;
          files++;
        }
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  });
  const mb = (b) => `${(b / 1e6).toFixed(1).padStart(6)} MB`;
  const lines = [`${path.basename(vsix)}: ${(statSync(vsix).size / 1e6).toFixed(1)} MB, ${(unpacked / 1e6).toFixed(1)} MB installed, ${files} files`, '  packed   installed  part'];
  for (const [key, p] of [...parts].sort((a, b) => b[1].unpacked - a[1].unpacked)) {
    if (p.unpacked < 50_000) continue;
    lines.push(`${mb(p.packed)} ${mb(p.unpacked)}  ${key}`);
  }
  const small = [...parts.values()].filter((p) => p.unpacked < 50_000);
  if (small.length) lines.push(`${mb(small.reduce((s, p) => s + p.packed, 0))} ${mb(small.reduce((s, p) => s + p.unpacked, 0))}  ${small.length} smaller parts`);
  return { text: lines.join('\n'), parts };
}
