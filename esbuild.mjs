// Bundles the extension, its worker, the embedding worker and the CLI into dist/.
// Native addons, transformers.js (which loads onnxruntime-node) and `vscode` stay external.
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

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
