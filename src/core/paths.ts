import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';

/** Root of everything Kindred keeps outside the user's folders: models, indexes, tools. */
export function cacheRoot(): string {
  if (process.env.KINDRED_CACHE_DIR) return path.resolve(process.env.KINDRED_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'kindred');
}

/** Where `npm run setup` provisions models, unless KINDRED_MODELS_DIR says otherwise. */
export function defaultModelsDir(): string {
  return process.env.KINDRED_MODELS_DIR ? path.resolve(process.env.KINDRED_MODELS_DIR) : path.join(cacheRoot(), 'models');
}

/** A per-folder index directory outside the folder: `<cache>/indexes/<name>-<hash of the real path>`. */
export function defaultIndexDir(folder: string): string {
  let real = path.resolve(folder);
  try {
    real = realpathSync(real);
  } catch {
    // A folder that does not exist yet still gets a stable location.
  }
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 16);
  const name = path.basename(real).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  return path.join(cacheRoot(), 'indexes', `${name}-${hash}`);
}
