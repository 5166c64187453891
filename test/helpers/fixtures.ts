import { cpSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Creates a temporary folder with the given files ({relative path: content}); returns its path. */
export function makeTree(files: Record<string, string | Buffer>, prefix = 'kindred-test-'): string {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  writeTree(root, files);
  return root;
}

export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Repository root (tests run from out/test/...). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** A workspace `ws/` of two small TypeScript functions, for tests of the engine's plumbing. */
export const TWO_FUNCTIONS: Record<string, string> = {
  'ws/src/upload.ts': 'export async function uploadWithRetry(file: string): Promise<void> {\n  // retry three times\n}\n',
  'ws/src/math.ts': 'export function addNumbers(a: number, b: number): number {\n  return a + b;\n}\n',
};

/** A copy of test/fixtures/workspace at `<tmp>/ws` in a new temporary folder, with `<tmp>/index` for its index (not created). */
export function copyWorkspaceFixture(prefix: string): { tmp: string; folder: string; indexDir: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  const folder = path.join(tmp, 'ws');
  cpSync(path.join(repoRoot, 'test/fixtures/workspace'), folder, { recursive: true });
  return { tmp, folder, indexDir: path.join(tmp, 'index') };
}
