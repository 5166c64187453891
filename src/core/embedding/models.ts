/** What the engine must know about an embedding model to use it correctly (from each model's card). */
export interface ModelInfo {
  id: string;
  dims: number;
  /** Sequence limit the model was trained with; chunks are cut to fit it. */
  maxTokens: number;
  pooling: 'mean' | 'cls';
  /** Prepended to queries / passages as the model card requires. */
  queryPrefix: string;
  passagePrefix: string;
  description: string;
}

export const DEFAULT_MODEL_ID = 'Xenova/all-MiniLM-L6-v2';

export const KNOWN_MODELS: readonly ModelInfo[] = [
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    dims: 384,
    maxTokens: 256,
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    description: 'sentence-transformers/all-MiniLM-L6-v2: small and fast, general English.',
  },
  {
    id: 'Xenova/all-mpnet-base-v2',
    dims: 768,
    maxTokens: 384,
    pooling: 'mean',
    queryPrefix: '',
    passagePrefix: '',
    description: 'sentence-transformers/all-mpnet-base-v2: larger and slower, stronger general English.',
  },
  {
    id: 'Xenova/bge-small-en-v1.5',
    dims: 384,
    maxTokens: 512,
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    description: 'BAAI/bge-small-en-v1.5: small, strong on retrieval.',
  },
  {
    id: 'Snowflake/snowflake-arctic-embed-m-v1.5',
    dims: 768,
    maxTokens: 512,
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    passagePrefix: '',
    description: 'Snowflake arctic-embed-m-v1.5: medium size, strong on retrieval.',
  },
];

/** Known settings for a model id; an unknown id gets mean pooling, no prefixes, and dims read from the model. */
export function modelInfo(id: string): ModelInfo {
  const known = KNOWN_MODELS.find((m) => m.id === id || m.id.split('/')[1] === id);
  return known ?? { id, dims: 0, maxTokens: 256, pooling: 'mean', queryPrefix: '', passagePrefix: '', description: 'custom model' };
}

export type Dtype = 'fp32' | 'q8';

/** Search quality and speed measured for a model and precision (docs/model-eval.md, `kindred eval`). */
export interface ModelMeasurement {
  id: string;
  dtype: Dtype;
  /** Hybrid MRR and nDCG@10 on CoSQA test (500 queries over 6,267 functions). */
  cosqaMrr: number;
  cosqaNdcg10: number;
  /** Hybrid MRR on doc-comment → code pairs mined from a held-out repository (transformers.js src, 497 pairs). */
  workspaceMrr: number;
  /** Texts embedded per second on 2 cores (CoSQA functions, ~100 tokens, 1 thread; the machine was not idle). */
  textsPerSecond: number;
  sizeMB: number;
}

export const MODEL_MEASUREMENTS: readonly ModelMeasurement[] = [
  { id: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', cosqaMrr: 0.518, cosqaNdcg10: 0.581, workspaceMrr: 0.511, textsPerSecond: 105, sizeMB: 22.9 },
  { id: 'Xenova/all-MiniLM-L6-v2', dtype: 'fp32', cosqaMrr: 0.517, cosqaNdcg10: 0.581, workspaceMrr: 0.513, textsPerSecond: 48, sizeMB: 90.4 },
  { id: 'Xenova/all-mpnet-base-v2', dtype: 'q8', cosqaMrr: 0.546, cosqaNdcg10: 0.611, workspaceMrr: 0.559, textsPerSecond: 9.6, sizeMB: 194.9 },
  { id: 'Xenova/all-mpnet-base-v2', dtype: 'fp32', cosqaMrr: 0.542, cosqaNdcg10: 0.607, workspaceMrr: 0.558, textsPerSecond: 8.2, sizeMB: 435.8 },
];
