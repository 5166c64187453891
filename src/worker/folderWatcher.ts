import * as path from 'node:path';
import type { Stats } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { errorMessage } from '../core/errors';
import type { Folder } from './updateLoop';

export interface WatcherHost {
  folders(): readonly Folder[];
  /** A file was added, changed or removed (relative path). */
  onFile(f: Folder, rel: string): void;
  /** A directory went away: its indexed files are gone. */
  onDirGone(f: Folder, rel: string): void;
  /** A .gitignore (or .git/info/exclude) changed: what is indexed may change anywhere below `dirRel`. */
  onIgnoreRulesChanged(f: Folder, dirRel: string): void;
  /** The watcher failed (e.g. the inotify limit): events may be missed from now on. */
  onError(message: string, code: string | undefined): void;
}

/** The folder of an absolute path: the deepest workspace folder holding it (`/a` does not hold `/a2`). */
export function folderOf<F extends { path: string }>(folders: readonly F[], abs: string): F | undefined {
  let best: F | undefined;
  for (const f of folders) {
    const inside = abs === f.path || abs.startsWith(f.path.endsWith(path.sep) ? f.path : f.path + path.sep);
    if (inside && (!best || f.path.length > best.path.length)) best = f;
  }
  return best;
}

export function relativeTo(f: { path: string }, abs: string): string {
  return path.relative(f.path, abs).split(path.sep).join('/');
}

/**
 * One chokidar watcher over every workspace folder. Ignored directories are not watched (so
 * node_modules costs no inotify watches); when ignore rules change, the owner restarts the watcher
 * so a directory that is no longer ignored gets watched.
 */
export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  /** Watchers started and not closed, in this process (diagnostics and tests). */
  static live = 0;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly host: WatcherHost) {}

  start(): void {
    const folders = this.host.folders();
    if (folders.length === 0) return;
    const locate = (abs: string): { f: Folder; rel: string } | undefined => {
      const f = folderOf(this.host.folders(), abs);
      return f ? { f, rel: relativeTo(f, abs) } : undefined;
    };
    FolderWatcher.live++;
    this.watcher = watch(
      folders.map((f) => f.path),
      {
        ignoreInitial: true,
        followSymlinks: false,
        ignored: (abs: string, stats?: Stats) => {
          const m = locate(abs);
          if (!m || m.rel === '') return false;
          if (m.rel === '.git' || m.rel === '.git/info' || m.rel === '.git/info/exclude') return false; // watched for its exclude file
          return m.f.matcher.ignores(m.rel, stats ? stats.isDirectory() : false) && (stats !== undefined || m.f.matcher.ignores(m.rel, true));
        },
      },
    );
    const onFile = (abs: string): void => {
      const m = locate(abs);
      if (!m) return;
      if (m.rel === '.git/info/exclude') this.host.onIgnoreRulesChanged(m.f, '');
      else if (m.rel.startsWith('.git/')) return;
      else if (m.rel === '.gitignore' || m.rel.endsWith('/.gitignore')) this.host.onIgnoreRulesChanged(m.f, path.posix.dirname(m.rel) === '.' ? '' : path.posix.dirname(m.rel));
      else this.host.onFile(m.f, m.rel);
    };
    const onDirGone = (abs: string): void => {
      const m = locate(abs);
      if (m && m.rel && m.rel !== '.git' && !m.rel.startsWith('.git/')) this.host.onDirGone(m.f, m.rel);
    };
    this.watcher.on('add', onFile).on('change', onFile).on('unlink', onFile).on('unlinkDir', onDirGone);
    this.watcher.on('error', (e) => this.host.onError(errorMessage(e), (e as NodeJS.ErrnoException)?.code));
  }

  private close(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (w) FolderWatcher.live--;
    return w ? w.close() : Promise.resolve();
  }

  /** Starts watching again (ignore rules changed); restarts run one after another, never two at once. */
  restart(): Promise<void> {
    this.chain = this.chain.then(async () => {
      await this.close();
      if (!this.disposed) this.start();
    });
    return this.chain;
  }

  /** Stops watching for good (a restart still queued does not start it again). */
  dispose(): Promise<void> {
    this.disposed = true;
    this.chain = this.chain.then(() => this.close());
    return this.chain;
  }
}
