/**
 * The embedding workers pool token embeddings themselves (plain arrays) instead of through the
 * pipeline's Tensor operations: the vectors must be the pipeline's, alone and in padded batches.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { loadModel, pool } from '../../src/core/embedding/transformers';
import { defaultModelsDir } from '../../src/core/paths';

test('pool: mean over the tokens the mask keeps, or the first token; normalized', () => {
  // Two texts of three tokens, two dims; the second text's last token is padding.
  const hidden = { data: Float32Array.from([1, 0, 3, 0, 2, 0, /* text 2 */ 0, 2, 0, 4, 100, 100]), dims: [2, 3, 2] };
  const mask = { data: BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 0n]), dims: [2, 3] };
  assert.deepEqual([...pool(hidden, mask, 'mean')].map((v) => [...v]), [[1, 0], [0, 1]]);
  const cls = pool({ data: Float32Array.from([3, 4, 9, 9]), dims: [1, 2, 2] }, { data: BigInt64Array.from([1n, 1n]), dims: [1, 2] }, 'cls');
  assert.deepEqual([...cls[0]].map((x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8]);
});

test('the worker’s embeddings are the transformers.js pipeline’s (cosine ≥ 0.9999), alone and in a padded batch', async () => {
  const source = { modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'fp32' as const };
  const model = await loadModel(source, 1);
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = defaultModelsDir() + path.sep;
  const reference = await pipeline('feature-extraction', DEFAULT_MODEL_ID, { dtype: 'fp32' });
  try {
    const texts = ['function add(a, b) { return a + b; }', 'read a file from disk and parse its JSON, or return undefined when it is missing', 'x'];
    const batch = await model.embed(texts);
    for (const [i, text] of texts.entries()) {
      const ref = (await reference([text], { pooling: 'mean', normalize: true })).data as Float32Array;
      const [alone] = await model.embed([text]);
      for (const [name, v] of [['alone', alone], ['in the batch', batch[i]]] as const) {
        let dot = 0;
        for (let d = 0; d < ref.length; d++) dot += ref[d] * v[d];
        assert.ok(dot >= 0.9999, `text ${i} ${name}: cosine ${dot}`);
      }
    }
  } finally {
    await model.dispose();
    await reference.dispose();
  }
});
