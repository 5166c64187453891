import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { Logger } from './log';

/** Excluded unless the user overrides `exclude`: dependency folders, build caches, lock files, minified bundles. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  'node_modules/',
  'bower_components/',
  '.git/',
  '.hg/',
  '.svn/',
  '__pycache__/',
  '.venv/',
  '.tox/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.next/',
  '.cache/',
  '*.min.js',
  '*.min.css',
  '*.map',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'Cargo.lock',
  'poetry.lock',
  'composer.lock',
  'Gemfile.lock',
  'go.sum',
  'uv.lock',
  'pdm.lock',
  'Pipfile.lock',
  'bun.lock',
  'bun.lockb',
  'deno.lock',
  'npm-shrinkwrap.json',
  'flake.lock',
  'mix.lock',
  'pubspec.lock',
  'Podfile.lock',
  'Package.resolved',
  'gradle.lockfile',
  'packages.lock.json',
  // Vector images: path data, not text anyone searches by meaning (flask's logo answered the query `g`).
  '*.svg',
];

/** File extensions that are never text worth indexing; skipped without opening them. */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp tif tiff psd svgz mp3 mp4 m4a wav ogg flac avi mov mkv webm pdf zip gz tgz bz2 xz 7z rar jar war ' +
    'class o obj a so dylib dll exe bin wasm node pyc pyo whl onnx pt pth safetensors ckpt npy npz pkl parquet sqlite db ' +
    'ttf otf woff woff2 eot vsix dmg iso'
  ).split(' '),
);

export interface DiscoveredFile {
  /** Path relative to the root, with forward slashes. */
  rel: string;
  size: number;
  mtimeMs: number;
}

export interface DiscoveryOptions {
  /** gitignore-style patterns relative to the root, applied in addition to .gitignore files. */
  exclude?: readonly string[];
  /** Files larger than this are skipped. */
  maxFileBytes: number;
  /** Honour .gitignore files (default true). */
  useGitignore?: boolean;
  logger?: Logger;
}

export interface DiscoveryResult {
  files: DiscoveredFile[];
  /** Skipped paths with the reason, for the log and the summary. */
  skipped: { rel: string; reason: string }[];
}

interface IgnoreLayer {
  /** Directory of the .gitignore relative to root ('' for root). */
  base: string;
  /** For a rules file above the root: the root's path relative to that file's directory (prepended to paths). */
  prefix?: string;
  ig: Ignore;
}

/**
 * The rules git applies to the root from outside it: `.git/info/exclude` of the repository the root
 * is in, then every `.gitignore` from the repository's top down to the root's parent. Empty when the
 * root is not inside a git repository (git would not read those files either).
 */
function outerIgnoreLayers(root: string): IgnoreLayer[] {
  const above: string[] = [];
  let gitRoot: string | undefined;
  for (let dir = path.resolve(root); ; ) {
    if (existsSync(path.join(dir, '.git'))) {
      gitRoot = dir;
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    above.unshift(parent);
    dir = parent;
  }
  if (!gitRoot) return [];
  const layers: IgnoreLayer[] = [];
  const rootRel = (dir: string): string => path.relative(dir, root).split(path.sep).join('/');
  const exclude = readText(path.join(gitDirOf(gitRoot), 'info', 'exclude'));
  if (exclude !== undefined) layers.push({ base: '', prefix: rootRel(gitRoot), ig: ignore().add(exclude) });
  for (const dir of above.filter((d) => d === gitRoot || d.startsWith(gitRoot + path.sep))) {
    const text = readText(path.join(dir, '.gitignore'));
    if (text !== undefined) layers.push({ base: '', prefix: rootRel(dir), ig: ignore().add(text) });
  }
  return layers;
}

/** The git directory of a work tree: `.git`, or where a `.git` file points (worktrees, submodules), shared part first. */
function gitDirOf(workTree: string): string {
  const dotGit = path.join(workTree, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return dotGit;
    const gitDir = path.resolve(workTree, m[1].trim());
    const common = readText(path.join(gitDir, 'commondir'));
    return common ? path.resolve(gitDir, common.trim()) : gitDir;
  } catch {
    return dotGit;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The root layer: the configured excludes, and `.git/` always. */
function baseLayer(exclude: readonly string[] | undefined): IgnoreLayer {
  return { base: '', ig: ignore().add([...(exclude ?? DEFAULT_EXCLUDES), '.git/']) };
}

/** Test a path against stacked ignore layers, deepest first: the deepest layer with an opinion wins (git semantics). */
function isIgnored(layers: IgnoreLayer[], rel: string, isDir: boolean): boolean {
  const candidate = isDir ? `${rel}/` : rel;
  for (let i = layers.length - 1; i >= 0; i--) {
    const { base, prefix, ig } = layers[i];
    const sub = prefix ? `${prefix}/${candidate}` : base ? candidate.slice(base.length + 1) : candidate;
    const r = ig.test(sub);
    if (r.ignored) return true;
    if (r.unignored) return false;
  }
  return false;
}

async function readGitignore(absDir: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(absDir, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
}

/** A compiled matcher for one path, used by the watcher to apply the same rules as discovery. */
export class IgnoreMatcher {
  private readonly cache = new Map<string, IgnoreLayer | null>();
  private outer: IgnoreLayer[] | undefined;
  constructor(
    private readonly root: string,
    private readonly options: Pick<DiscoveryOptions, 'exclude' | 'useGitignore'>,
  ) {}

  private layer(dirRel: string): IgnoreLayer | null {
    if (this.cache.has(dirRel)) return this.cache.get(dirRel)!;
    let text: string | undefined;
    try {
      text = this.options.useGitignore === false ? undefined : readFileSync(path.join(this.root, dirRel, '.gitignore'), 'utf8');
    } catch {
      text = undefined;
    }
    const layer = text === undefined ? null : { base: dirRel, ig: ignore().add(text) };
    this.cache.set(dirRel, layer);
    return layer;
  }

  /** Forget a cached .gitignore (call when one changes); '' also re-reads the rules from above the root. */
  invalidate(dirRel: string): void {
    this.cache.delete(dirRel);
    if (dirRel === '') this.outer = undefined;
  }

  /** Synchronous (the watcher asks from its own callback); .gitignore files are read once and cached. */
  ignores(rel: string, isDir: boolean): boolean {
    this.outer ??= this.options.useGitignore === false ? [] : outerIgnoreLayers(this.root);
    const layers: IgnoreLayer[] = [baseLayer(this.options.exclude), ...this.outer];
    const parts = rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dirRel = parts.slice(0, i).join('/');
      // A directory is judged by the layers above it, as discovery does, before its own .gitignore applies.
      if (i > 0 && isIgnored(layers, dirRel, true)) return true;
      const l = this.layer(dirRel);
      if (l) layers.push(l);
    }
    return isIgnored(layers, rel, isDir) || (!isDir && hasBinaryExtension(rel));
  }
}

export function hasBinaryExtension(rel: string): boolean {
  const dot = rel.lastIndexOf('.');
  return dot > rel.lastIndexOf('/') && BINARY_EXTENSIONS.has(rel.slice(dot + 1).toLowerCase());
}

/**
 * Lists the indexable files under `root`: honours nested .gitignore files, those above the root up to
 * its repository's top and the repository's .git/info/exclude (as git does), and exclude patterns;
 * never descends into .git, skips symlinked directories (no loops), files over the size limit
 * and files with binary extensions. Unreadable directories are recorded, not fatal.
 */
export async function discoverFiles(root: string, options: DiscoveryOptions): Promise<DiscoveryResult> {
  const files: DiscoveredFile[] = [];
  const skipped: { rel: string; reason: string }[] = [];

  const walk = async (dirRel: string, layers: IgnoreLayer[]): Promise<void> => {
    const absDir = dirRel ? path.join(root, dirRel) : root;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(absDir, { withFileTypes: true });
    } catch (e) {
      skipped.push({ rel: dirRel || '.', reason: `unreadable directory (${(e as NodeJS.ErrnoException).code ?? e})` });
      return;
    }
    if (options.useGitignore !== false && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const text = await readGitignore(absDir);
      if (text !== undefined) layers = [...layers, { base: dirRel, ig: ignore().add(text) }];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of entries) {
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = statSync(path.join(absDir, entry.name));
          if (st.isDirectory()) {
            skipped.push({ rel, reason: 'symlinked directory (not followed)' });
            continue;
          }
          isFile = st.isFile();
          isDir = false;
        } catch {
          skipped.push({ rel, reason: 'broken symlink' });
          continue;
        }
      }
      if (!isDir && !isFile) continue;
      if (isIgnored(layers, rel, isDir)) continue;
      if (isDir) {
        subdirs.push(rel);
        continue;
      }
      if (hasBinaryExtension(rel)) {
        skipped.push({ rel, reason: 'binary' });
        continue;
      }
      try {
        // Synchronous: one stat per file, one after another; a thread-pool round trip each would cost
        // more than the stat (readdir, once per directory, stays asynchronous and yields).
        const st = statSync(path.join(absDir, entry.name));
        if (st.size > options.maxFileBytes) {
          skipped.push({ rel, reason: `too large (${st.size} bytes > ${options.maxFileBytes})` });
          continue;
        }
        files.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
      } catch (e) {
        skipped.push({ rel, reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? e})` });
      }
    }
    for (const sub of subdirs) await walk(sub, layers);
  };

  await walk('', [baseLayer(options.exclude), ...(options.useGitignore === false ? [] : outerIgnoreLayers(root))]);
  for (const s of skipped) options.logger?.info(`skipped ${s.rel}: ${s.reason}`);
  return { files, skipped };
}
