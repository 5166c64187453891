import { fileHashOf } from '../../src/core/indexer';
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverFiles } from '../../src/core/discovery';
import { readTextFile } from '../../src/core/text';
import type { EngineStatus, EventMessage } from '../../src/shared/engineProtocol';
import { EngineService } from '../../src/worker/engineService';
import { testEngineConfig } from '../helpers/engineConfig';
import { removeTree } from '../helpers/fixtures';

// The extension's engine service with its real chokidar watcher, driven by real `git checkout`s
// between two branches that differ in thousands of files. Ground truth: the files on disk.

const FILES = 2400;
let tmp: string;
let repo: string;
let service: EngineService;
const events: EventMessage[] = [];

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

/** A small function whose text differs per (i, variant), so chunks are distinct. */
function source(i: number, variant: string): string {
  return `export function task${i}${variant}(input: number): number {\n  // step ${i} of the ${variant || 'main'} pipeline\n  return input * ${i} + ${variant.length};\n}\n`;
}

async function groundTruth(): Promise<Map<string, string>> {
  const { files } = await discoverFiles(repo, { maxFileBytes: 1 << 20 });
  const out = new Map<string, string>();
  for (const f of files) {
    const r = await readTextFile(path.join(repo, f.rel), 1 << 20);
    if (r.ok) out.set(f.rel, fileHashOf(r.text));
  }
  return out;
}

/** Flushes until the index matches the disk exactly (file set and content hashes), or times out. */
async function converge(what: string): Promise<{ seconds: number; status: EngineStatus }> {
  const start = Date.now();
  const truth = await groundTruth();
  for (;;) {
    // The watcher delivers events over a few hundred ms after git returns; flush runs what is pending.
    await new Promise((r) => setTimeout(r, 500));
    const status = (await service.handle('flush', {})) as EngineStatus;
    const store = service.engineFor(repo)!.index;
    const indexed = new Map([...store.files.values()].map((f) => [f.path, f.hash]));
    const same = indexed.size === truth.size && [...truth].every(([p, h]) => indexed.get(p) === h);
    if (same && store.pendingIds().length === 0) {
      assert.equal(store.checkIntegrity(), undefined);
      return { seconds: (Date.now() - start) / 1000, status };
    }
    if (Date.now() - start > 240_000) {
      const missing = [...truth.keys()].filter((p) => !indexed.has(p)).slice(0, 5);
      const extra = [...indexed.keys()].filter((p) => !truth.has(p)).slice(0, 5);
      assert.fail(`${what}: index did not converge (${indexed.size} indexed, ${truth.size} on disk; missing ${missing}; extra ${extra})`);
    }
  }
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-service-'));
  repo = path.join(tmp, 'repo');
  mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < FILES; i++) {
    mkdirSync(path.join(repo, `pkg${i % 24}`), { recursive: true });
    writeFileSync(path.join(repo, `pkg${i % 24}`, `task${i}.ts`), source(i, ''));
  }
  git('add', '-A');
  git('commit', '-qm', 'main');
  // Branch "other": 800 files moved to another folder, 600 edited, 400 deleted, 400 added.
  git('checkout', '-qb', 'other');
  for (let i = 0; i < 800; i++) {
    mkdirSync(path.join(repo, `moved${i % 8}`), { recursive: true });
    await fs.rename(path.join(repo, `pkg${i % 24}`, `task${i}.ts`), path.join(repo, `moved${i % 8}`, `task${i}.ts`));
  }
  for (let i = 800; i < 1400; i++) writeFileSync(path.join(repo, `pkg${i % 24}`, `task${i}.ts`), source(i, 'Edited'));
  for (let i = 1400; i < 1800; i++) await fs.rm(path.join(repo, `pkg${i % 24}`, `task${i}.ts`));
  for (let i = FILES; i < FILES + 400; i++) {
    mkdirSync(path.join(repo, 'added'), { recursive: true });
    writeFileSync(path.join(repo, 'added', `task${i}.ts`), source(i, 'New'));
  }
  git('add', '-A');
  git('commit', '-qm', 'other');
  git('checkout', '-q', 'main');

  service = new EngineService((e) => events.push(e));
  const status = await service.handle('configure', testEngineConfig(repo, 'repo', path.join(tmp, 'indexes')));
  assert.notEqual(status.state, 'error', JSON.stringify(status.error));
});

after(async () => {
  await service?.dispose();
  removeTree(tmp);
});

test('the first index matches the files on disk', async () => {
  const { status } = await converge('initial index');
  assert.equal(status.folders[0].files, FILES);
});

test('git checkout to a branch differing in 2,200 files converges to exactly its files', async () => {
  git('checkout', '-q', 'other');
  const { seconds, status } = await converge('checkout other');
  assert.equal(status.folders[0].files, FILES);
  process.stderr.write(`checkout other converged in ${seconds}s; last update ${JSON.stringify(status.lastUpdate)}\n`);
  // Moved files are found under their new paths (their chunks are embedded again: the path heads the embedded text).
  const hits = (await service.handle('search', { query: 'task7 main pipeline', k: 3, mode: 'bm25' })) as { path: string }[];
  assert.ok(hits.some((h) => h.path === 'moved7/task7.ts'), JSON.stringify(hits));
});

test('and back: the index matches the first branch again, with nothing left over', async () => {
  git('checkout', '-q', 'main');
  const { status } = await converge('checkout main');
  assert.equal(status.folders[0].files, FILES);
  const hits = (await service.handle('search', { query: 'task2500New', k: 5, mode: 'bm25' })) as { path: string }[];
  assert.ok(!hits.some((h) => h.path.startsWith('added/')), 'files of the other branch are gone');
});

test('status events were throttled (not one per chunk)', () => {
  const statuses = events.filter((e) => e.event === 'status').length;
  assert.ok(statuses > 0);
  assert.ok(statuses < FILES, `${statuses} status events`);
});
