// Worker of the raw-model baseline: one onnxruntime-node session (1 intra-op thread, like each of the
// engine's embedding workers) and the model's tokenizer. Per batch: tokenize (pad to the batch's
// longest), run, mean-pool, normalize. Reports how its time splits.
import { parentPort, workerData } from 'node:worker_threads';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const { root, modelsDir, modelId, dtype } = workerData;
const require = createRequire(path.join(root, 'package.json'));
const ort = require('onnxruntime-node');
const { AutoTokenizer, env } = require('@huggingface/transformers');
env.allowRemoteModels = false;
env.localModelPath = modelsDir.endsWith(path.sep) ? modelsDir : modelsDir + path.sep;

const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const file = path.join(modelsDir, modelId, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx');
const session = await ort.InferenceSession.create(file, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // Experiment knob (not used by the benchmark): KINDRED_BENCH_ORT_ARENA=0 turns onnxruntime's CPU memory arena off.
  ...(process.env.KINDRED_BENCH_ORT_ARENA === '0' ? { enableCpuMemArena: false } : {}),
});

const time = { tokenizeMs: 0, runMs: 0, poolMs: 0, tokens: 0, paddedTokens: 0 };

async function embed(texts) {
  let t = performance.now();
  const enc = tokenizer(texts, { padding: true, truncation: true });
  const [b, l] = enc.input_ids.dims;
  const feeds = {};
  for (const name of session.inputNames) {
    const src = enc[name] ?? { data: new BigInt64Array(b * l), dims: [b, l] };
    feeds[name] = new ort.Tensor('int64', src.data, src.dims);
  }
  const mask = enc.attention_mask.data;
  let now = performance.now();
  time.tokenizeMs += now - t;
  t = now;
  const out = await session.run(feeds);
  now = performance.now();
  time.runMs += now - t;
  t = now;
  const h = out.last_hidden_state;
  const dims = h.dims[2];
  const data = h.data;
  const result = new Float32Array(b * dims);
  for (let i = 0; i < b; i++) {
    let n = 0;
    const v = result.subarray(i * dims, (i + 1) * dims);
    for (let j = 0; j < l; j++) {
      if (mask[i * l + j] === 0n) continue;
      n++;
      const off = (i * l + j) * dims;
      for (let d = 0; d < dims; d++) v[d] += data[off + d];
    }
    time.tokens += n;
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += (v[d] /= n) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) v[d] /= norm;
  }
  time.paddedTokens += b * l;
  time.poolMs += performance.now() - t;
  return result;
}

await embed(['warm up']);
for (const k of Object.keys(time)) time[k] = 0;
parentPort.postMessage({ type: 'ready' });
parentPort.on('message', async (msg) => {
  if (msg.type === 'batch') {
    const vectors = await embed(msg.texts);
    parentPort.postMessage({ type: 'vectors', index: msg.index, vectors }, [vectors.buffer]);
  } else if (msg.type === 'time') {
    parentPort.postMessage({ type: 'time', time: { ...time } });
    for (const k of Object.keys(time)) time[k] = 0;
  } else if (msg.type === 'done') {
    await session.release();
    process.exit(0);
  }
});
