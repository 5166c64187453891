import * as vscode from 'vscode';
import { DEFAULT_EXCLUDES } from '../core/discovery';
import { DEFAULT_MODEL_ID } from '../core/embedding/models';
import type { EngineConfig } from '../shared/engineProtocol';
import { filesExcludeToPatterns } from '../shared/excludeGlobs';

export { filesExcludeToPatterns };

/** The engine configuration from the user's settings for the open workspace. */
export function readEngineConfig(): EngineConfig {
  const c = vscode.workspace.getConfiguration('kindred');
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ path: f.uri.fsPath, name: f.name }));
  const trusted = vscode.workspace.isTrusted;
  // In an untrusted workspace, folder-level values of settings that load code or reach the network are ignored.
  const userValue = <T>(key: string, fallback: T): T => {
    if (trusted) return c.get<T>(key, fallback);
    const i = c.inspect<T>(key);
    return (i?.globalValue ?? i?.defaultValue ?? fallback) as T;
  };
  return {
    folders,
    modelId: c.get<string>('model', DEFAULT_MODEL_ID) || DEFAULT_MODEL_ID,
    modelsDir: userValue<string>('modelsDir', '') || undefined,
    allowDownload: userValue<boolean>('allowModelDownload', false),
    dtype: c.get<'q8' | 'fp32'>('modelPrecision', 'q8') === 'fp32' ? 'fp32' : 'q8',
    threads: Math.max(0, Math.floor(c.get<number>('threads', 0))),
    exclude: [
      ...DEFAULT_EXCLUDES,
      ...filesExcludeToPatterns(vscode.workspace.getConfiguration('files').get('exclude')),
      ...filesExcludeToPatterns(vscode.workspace.getConfiguration('search').get('exclude')),
      ...c.get<string[]>('exclude', []),
    ],
    maxFileBytes: Math.max(1024, c.get<number>('maxFileSize', 1024 * 1024)),
    indexOnStartup: c.get<boolean>('indexOnStartup', true),
    // Where indexes live; by default a per-folder directory in the user cache. Tests point it at a temp dir.
    indexRoot: process.env.KINDRED_INDEX_ROOT || undefined,
  };
}
