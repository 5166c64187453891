// Bundles the extension, its worker, the embedding worker and the CLI into dist/ (Node), and the side
// panel's script into dist/webview/panel.js (browser). Native addons, transformers.js (which loads
// onnxruntime-node) and `vscode` stay external.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', 'hnswlib-node', '@photostructure/sqlite', '@huggingface/transformers', 'onnxruntime-node', 'sharp', '@vscode/tree-sitter-wasm'],
};

const entries = {
  cli: 'src/cli/main.ts',
  embedWorker: 'src/core/embedding/embedWorker.ts',
};
for (const [name, file] of Object.entries({ extension: 'src/extension/extension.ts', engineProcess: 'src/worker/engineProcess.ts' })) {
  try {
    await import('node:fs').then((fs) => fs.promises.access(file));
    entries[name] = file;
  } catch {
    // not written yet
  }
}

const options = {
  ...common,
  entryPoints: entries,
  outdir: 'dist',
  banner: { js: '' },
  // The MCP server reports this version to clients.
  define: { KINDRED_VERSION: JSON.stringify(JSON.parse(await import('node:fs').then((fs) => fs.promises.readFile('package.json', 'utf8'))).version) },
};

// The webview: one IIFE for the browser (VS Code's webviews are Chromium), loaded by nonce (src/extension/panel.ts).
const webview = {
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  entryPoints: { panel: 'src/webview/panel.ts' },
  outdir: 'dist/webview',
};

if (watch) {
  for (const o of [options, webview]) await (await esbuild.context(o)).watch();
} else {
  await Promise.all([esbuild.build(options), esbuild.build(webview)]);
}
