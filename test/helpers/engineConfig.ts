import { DEFAULT_EXCLUDES } from '../../src/core/discovery';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import type { EngineConfig } from '../../src/shared/engineProtocol';

/** An engine-service configuration for one folder with the real default model on one thread. */
export function testEngineConfig(folder: string, name: string, indexRoot: string, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    folders: [{ path: folder, name }],
    modelId: DEFAULT_MODEL_ID,
    allowDownload: false,
    dtype: 'q8',
    threads: 1,
    exclude: [...DEFAULT_EXCLUDES],
    maxFileBytes: 1 << 20,
    indexOnStartup: true,
    indexRoot,
    ...overrides,
  };
}
