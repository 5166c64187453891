import { EmbeddingPool, defaultThreads } from './pool';
import type { ModelInfo } from './models';
import { loadTokenizer, type ModelSource, type Tokenizer } from './transformers';

/**
 * A loaded embedding model: its worker pool and its tokenizer. One runtime can serve several
 * engines (the folders of a multi-root workspace) so the model is loaded once per process.
 */
export class ModelRuntime {
  private constructor(
    readonly source: ModelSource,
    private readonly pool: EmbeddingPool,
    readonly tokenizer: Tokenizer,
  ) {}

  static async start(source: ModelSource, threads = defaultThreads()): Promise<ModelRuntime> {
    const [pool, tokenizer] = await Promise.allSettled([EmbeddingPool.start(source, threads), loadTokenizer(source)]);
    if (pool.status === 'rejected' || tokenizer.status === 'rejected') {
      if (pool.status === 'fulfilled') await pool.value.close();
      throw pool.status === 'rejected' ? pool.reason : (tokenizer as PromiseRejectedResult).reason;
    }
    return new ModelRuntime(source, pool.value, tokenizer.value);
  }

  get info(): ModelInfo {
    return this.pool.info;
  }

  get workers(): number {
    return this.pool.workers;
  }

  countTokens(text: string): number {
    return this.tokenizer.count(text);
  }

  /** Tokens available to a chunk's text: the model's limit less its passage prefix and special tokens. */
  get chunkTokens(): number {
    const { maxTokens, passagePrefix } = this.pool.info;
    return maxTokens - (passagePrefix ? this.tokenizer.count(passagePrefix) : 0) - 2;
  }

  /** Embeds document text (the model's passage prefix is added here). */
  embedPassages(texts: string[]): Promise<Float32Array[]> {
    const prefix = this.pool.info.passagePrefix;
    return this.pool.embed(prefix ? texts.map((t) => prefix + t) : texts);
  }

  /** Embeds a search query (the model's query prefix is added here). */
  embedQuery(text: string): Promise<Float32Array> {
    return this.pool.embedQuery(text);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
