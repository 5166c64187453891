/**
 * The VSIX leaves out sharp (transformers.js's image library, 20 MB with libvips): the model must
 * still load and embed when `require('sharp')` cannot be resolved. Run in a child process whose
 * resolver refuses sharp, as a VSIX install without node_modules/sharp does.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../helpers/fixtures';

test('transformers.js loads and embeds without sharp installed', () => {
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'sharp' || request.startsWith('sharp/')) throw Object.assign(new Error("Cannot find module 'sharp'"), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    const { loadModel } = require(${JSON.stringify(path.join(repoRoot, 'out/src/core/embedding/transformers.js'))});
    const { defaultModelsDir } = require(${JSON.stringify(path.join(repoRoot, 'out/src/core/paths.js'))});
    let sharpFailed = false;
    try { require('sharp'); } catch { sharpFailed = true; }
    loadModel({ modelId: 'Xenova/all-MiniLM-L6-v2', modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }).then(async (m) => {
      const [v] = await m.embed(['hello world']);
      console.log(JSON.stringify({ sharpFailed, dims: v.length }));
      await m.dispose();
    }, (e) => { console.error(e); process.exit(1); });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { sharpFailed: true, dims: 384 });
});
