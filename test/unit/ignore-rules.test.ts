import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES, discoverFiles, IgnoreMatcher } from '../../src/core/discovery';
import { filesExcludeToPatterns } from '../../src/shared/excludeGlobs';
import { EngineService } from '../../src/worker/engineService';
import { FolderWatcher } from '../../src/worker/folderWatcher';
import { testEngineConfig } from '../helpers/engineConfig';
import { makeTree, removeTree } from '../helpers/fixtures';

// Ignore rules as git applies them: .gitignore files above the opened folder (up to the repository's
// top), .git/info/exclude, VS Code's exclude globs with braces, and .gitignore edits applied at once.

let tmp: string;
let repo: string;
let ws: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** The files git would track in `dir`: committed or untracked, minus everything ignored. */
function gitView(dir: string): string[] {
  return git(dir, 'ls-files', '--cached', '--others', '--exclude-standard')
    .split('\n')
    .filter(Boolean)
    .sort();
}

before(() => {
  tmp = makeTree({
    'repo/.gitignore': '*.log\npackages/app/generated/\n',
    'repo/packages/.gitignore': 'secret.ts\n!keep.log\n',
    'repo/packages/app/src/main.ts': 'export const main = 1;\n',
    'repo/packages/app/src/secret.ts': 'export const token = "x";\n',
    'repo/packages/app/src/debug.log': 'log line\n',
    'repo/packages/app/src/keep.log': 'kept log\n',
    'repo/packages/app/generated/api.ts': 'export const generated = 1;\n',
    'repo/packages/app/scratch/notes.ts': 'export const notes = 1;\n',
    'repo/packages/app/.gitignore': 'local.ts\n',
    'repo/packages/app/src/local.ts': 'export const local = 1;\n',
  });
  repo = path.join(tmp, 'repo');
  ws = path.join(repo, 'packages', 'app');
  git(repo, 'init', '-q');
  writeFileSync(path.join(repo, '.git', 'info', 'exclude'), 'scratch/\n');
});

after(() => removeTree(tmp));

test('a folder inside a repository is indexed as git sees it: parent .gitignore files and .git/info/exclude', async () => {
  const truth = gitView(ws);
  assert.deepEqual(truth, ['.gitignore', 'src/keep.log', 'src/main.ts'], 'what git tracks (the fixture is as intended)');
  const { files } = await discoverFiles(ws, { maxFileBytes: 1 << 20, exclude: DEFAULT_EXCLUDES });
  assert.deepEqual(files.map((f) => f.rel).sort(), truth);
  // The watcher's matcher agrees path by path.
  const m = new IgnoreMatcher(ws, { exclude: DEFAULT_EXCLUDES });
  assert.equal(m.ignores('src/secret.ts', false), true, 'packages/.gitignore');
  assert.equal(m.ignores('src/debug.log', false), true, 'repo/.gitignore');
  assert.equal(m.ignores('src/keep.log', false), false, 'negated in packages/.gitignore');
  assert.equal(m.ignores('generated', true), true, 'anchored pattern in repo/.gitignore');
  assert.equal(m.ignores('scratch', true), true, '.git/info/exclude');
  assert.equal(m.ignores('src/local.ts', false), true, "the folder's own .gitignore");
  assert.equal(m.ignores('src/main.ts', false), false);
});

test('files.exclude and search.exclude globs with braces become one gitignore pattern per alternative', async () => {
  const patterns = filesExcludeToPatterns({ '**/*.{log,tmp}': true, 'build/{out,dist}': true, '**/.cache': false, '**/x': { when: '$(basename).ts' } });
  assert.deepEqual(patterns, ['*.log', '*.tmp', '/build/out', '/build/dist']);
  const root = makeTree({ 'a.log': 'x', 'b.tmp': 'x', 'c.ts': 'x', 'build/out/d.ts': 'x', 'build/dist/e.ts': 'x', 'build/src/f.ts': 'x' });
  try {
    const { files } = await discoverFiles(root, { maxFileBytes: 1 << 20, exclude: patterns });
    assert.deepEqual(files.map((f) => f.rel).sort(), ['build/src/f.ts', 'c.ts']);
  } finally {
    removeTree(root);
  }
});

test('.gitignore edits apply at once: files now ignored leave, files no longer ignored (even in a directory that was ignored) come in', { timeout: 120_000 }, async () => {
  const root = makeTree({ 'src/a.ts': 'export function alphaFunction(): void {}\n', 'vendor/lib.ts': 'export function vendoredHelper(): void {}\n', '.gitignore': 'vendor/\n' });
  const service = new EngineService(() => undefined);
  const indexed = async (): Promise<string[]> => {
    await service.handle('flush', {});
    return [...service.engineFor(root)!.index.files.keys()].sort();
  };
  /** Polls until the index holds `want` (the watcher reports changes within a second or so). */
  const until = async (want: string[]): Promise<void> => {
    for (let i = 0; ; i++) {
      const got = await indexed();
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      assert.ok(i < 300, `index ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await service.handle('configure', testEngineConfig(root, 'r', path.join(root, '..', `${path.basename(root)}-idx`), { modelsDir: path.join(root, 'no-models') }));
    await until(['.gitignore', 'src/a.ts']);
    // Un-ignore vendor/: its file comes in, and a file created there afterwards is seen by the watcher.
    writeFileSync(path.join(root, '.gitignore'), 'src/a.ts\n');
    await until(['.gitignore', 'vendor/lib.ts']);
    mkdirSync(path.join(root, 'vendor', 'more'), { recursive: true });
    writeFileSync(path.join(root, 'vendor', 'more', 'late.ts'), 'export function lateArrival(): void {}\n');
    await until(['.gitignore', 'vendor/lib.ts', 'vendor/more/late.ts']);
    const hits = await service.handle('search', { query: 'lateArrival', k: 3, mode: 'bm25' });
    assert.equal(hits[0]?.path, 'vendor/more/late.ts');
  } finally {
    await service.dispose();
    removeTree(root);
    rmSync(`${root}-idx`, { recursive: true, force: true });
  }
});

test('watcher restarts (one per changed .gitignore) never leave two watchers; dispose leaves none, even with a restart queued', async () => {
  const root = makeTree({ 'a.ts': 'export const a = 1;\n' });
  try {
    const folder = { path: root, name: 'r', engine: undefined as never, matcher: new IgnoreMatcher(root, {}), full: false, changed: new Set<string>() };
    const noop = (): void => undefined;
    const w = new FolderWatcher({ folders: () => [folder], onFile: noop, onDirGone: noop, onIgnoreRulesChanged: noop, onError: noop });
    const live = FolderWatcher.live;
    w.start();
    await Promise.all([w.restart(), w.restart(), w.restart(), w.restart(), w.restart()]);
    assert.equal(FolderWatcher.live - live, 1);
    const queued = w.restart();
    await w.dispose();
    await queued;
    assert.equal(FolderWatcher.live - live, 0);
  } finally {
    removeTree(root);
  }
});
