import { randomUUID } from 'node:crypto';
import { closeSync, linkSync, openSync, promises as fs, readFileSync, rmSync, writeFileSync, constants as FS } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KindredError } from '../errors';

/** A plain-words error for a failed write to the index directory (permissions, full disk), or undefined. */
export function unwritable(dir: string, e: unknown): KindredError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : undefined;
  if (!why) return undefined;
  return new KindredError(
    'index-unwritable',
    `Cannot write the index in ${dir}: ${why}.`,
    why === 'the disk is full' ? 'Free some disk space; the index is brought up to date on the next run.' : 'Make that folder writable, or choose another index location (--index-dir).',
  );
}

/** Tokens of the locks this process holds: two engines of one process (or two tests) exclude each other too. */
const heldLocks = new Set<string>();

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
}

/**
 * Creates `file` with its content in one step, failing with EEXIST if it exists: the content goes to a
 * private temporary file that is then hard-linked into place. Another process never sees the lock empty
 * (an empty lock of a live but slow or stopped owner could otherwise be taken for a dead one's). Where
 * hard links are not supported, the file is created exclusively and then written.
 */
function createWithContent(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, file);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const fd = openSync(file, FS.O_CREAT | FS.O_EXCL | FS.O_WRONLY);
  try {
    writeFileSync(fd, content);
  } catch (e) {
    // Created but not written (a full disk): leave no empty lock behind.
    closeSync(fd);
    rmSync(file, { force: true });
    throw e;
  }
  closeSync(fd);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function lockedError(dir: string, owner: LockOwner): KindredError {
  return new KindredError(
    'index-locked',
    owner.pid === process.pid ? `Kindred is already updating the index in ${dir}.` : `Another Kindred process (pid ${owner.pid ?? '?'}) is updating the index in ${dir}.`,
    'Wait for it to finish, or use --no-update to search the index as it is.',
  );
}

/**
 * A write lock on an index directory, so two writers (processes, or engines of one process) never
 * update one index at once. Held by a lock file with the owner's pid and a random token; a lock
 * whose owner is dead is taken over (a lock with our own pid that this process does not hold is
 * a dead predecessor's: pids repeat, e.g. pid 1 in containers).
 */
export class IndexLock {
  private constructor(
    private readonly file: string,
    private readonly token: string,
  ) {}

  static async acquire(dir: string): Promise<IndexLock> {
    try {
      return await IndexLock.tryAcquire(dir);
    } catch (e) {
      throw unwritable(dir, e) ?? e;
    }
  }

  private static async tryAcquire(dir: string): Promise<IndexLock> {
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'lock');
    let tookOver = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomUUID();
      try {
        createWithContent(file, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString(), token }));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Empty or half-written lock: its writer died between create and write, or is writing now.
        let owner = readOwner(file);
        if (!owner) {
          await new Promise((r) => setTimeout(r, 50));
          owner = readOwner(file) ?? {};
        }
        const self = owner.pid === process.pid && owner.host === os.hostname();
        if (self && owner.token !== undefined && heldLocks.has(owner.token)) throw lockedError(dir, owner);
        if (!self && owner.pid && owner.host === os.hostname() && isAlive(owner.pid)) throw lockedError(dir, owner);
        await fs.rm(file, { force: true }); // stale: its owner is gone
        tookOver = true;
        continue;
      }
      if (tookOver) {
        // Two processes that found the same stale lock could each remove it and create their own;
        // the one whose lock is no longer there a moment later backs off.
        await new Promise((r) => setTimeout(r, 30));
        const now = readOwner(file);
        if (now?.token !== token) throw lockedError(dir, now ?? {});
      }
      heldLocks.add(token);
      return new IndexLock(file, token);
    }
    throw new KindredError('index-locked', `Could not lock the index in ${dir}.`, 'Wait a moment and try again.');
  }

  /** Removes the lock file if it is still this lock's (never another writer's). */
  async release(): Promise<void> {
    heldLocks.delete(this.token);
    if (readOwner(this.file)?.token === this.token) await fs.rm(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
