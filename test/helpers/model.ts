import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { loadTokenizer, type Tokenizer } from '../../src/core/embedding/transformers';
import { defaultModelsDir } from '../../src/core/paths';

/** The real default model's tokenizer, provisioned by `npm run setup`. */
export async function realTokenizer(): Promise<Tokenizer> {
  return loadTokenizer({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' });
}
