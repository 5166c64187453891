import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from '../helpers/cli';
import { removeTree, repoRoot } from '../helpers/fixtures';

// A full disk while saving: the commit fails with a plain message, the index stays at its last commit
// and readable, no partial files are left, and the next run (with space) catches up.
// The index lives on a 768 KB tmpfs (SQLite needs ~160 KB for the first index: the database, its 32 KB
// shared-memory file and the WAL while it is written) mounted in a private mount namespace (`unshare -m`, needs root).

test('disk full during a save: plain error, previous index intact, partial files removed, next run recovers', { timeout: 120_000 }, (t) => {
  const probe = spawnSync('unshare', ['-m', 'true']);
  if (process.getuid?.() !== 0 || probe.status !== 0) {
    t.skip('needs root and unshare -m to mount a small tmpfs');
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-diskfull-'));
  try {
    const folder = path.join(tmp, 'ws');
    const indexDir = path.join(tmp, 'index');
    const out = path.join(tmp, 'out');
    mkdirSync(indexDir);
    mkdirSync(out);
    cpSync(path.join(repoRoot, 'test/fixtures/workspace'), folder, { recursive: true });
    const node = JSON.stringify(process.execPath);
    const cli = `${node} ${JSON.stringify(CLI)}`;
    const q = (s: string): string => JSON.stringify(s);
    const more = q(path.join(folder, 'more'));
    // 400 files of 30 distinct lines: more keyword index than the disk has room for (the commit after chunking fails).
    const grow = `mkdir -p ${more}; i=0; while [ $i -lt 400 ]; do j=0; while [ $j -lt 30 ]; do echo "export const grownValue\${i}x\${j} = computeGrowth\${i}(\${j}) * \${i}; // grown file \${i} line \${j}"; j=$((j+1)); done > ${more}/f$i.ts; i=$((i+1)); done`;
    const run = (name: string, args: string): string => `${cli} ${args} > ${q(path.join(out, `${name}.out`))} 2> ${q(path.join(out, `${name}.err`))}; echo $? > ${q(path.join(out, `${name}.rc`))}`;
    const script = [
      `mount -t tmpfs -o size=768k tmpfs ${q(indexDir)}`,
      run('first', `index ${q(folder)} --index-dir ${q(indexDir)} --json --threads 1`),
      grow,
      run('full', `index ${q(folder)} --index-dir ${q(indexDir)} --json --threads 1`),
      `ls -A ${q(path.join(indexDir, 'Xenova_all-MiniLM-L6-v2.q8'))} > ${q(path.join(out, 'after-full.ls'))}`,
      run('stats', `stats ${q(folder)} --index-dir ${q(indexDir)} --json --no-update`),
      run('search', `search ${q(folder)} quicksort --index-dir ${q(indexDir)} --json --mode bm25 --threads 1`),
      `rm -r ${q(path.join(folder, 'more'))}`,
      run('recovered', `index ${q(folder)} --index-dir ${q(indexDir)} --json --threads 1`),
    ].join('\n');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    const read = (name: string): string => readFileSync(path.join(out, name), 'utf8');
    const rc = (name: string): number => Number(read(`${name}.rc`).trim());

    assert.equal(rc('first'), 0, read('first.err'));
    assert.equal(JSON.parse(read('first.out')).files, 11);

    assert.equal(rc('full'), 1);
    assert.equal(read('full.err').trim(), `kindred: Cannot write the index in ${path.join(indexDir, 'Xenova_all-MiniLM-L6-v2.q8')}: the disk is full. Free some disk space; the index is brought up to date on the next run.`);
    const left = read('after-full.ls').trim().split('\n');
    assert.ok(left.includes('index.db'), left.join(' '));
    assert.deepEqual(left.filter((n) => !/^index\.db(-wal|-shm)?$|^vectors\.\d+\.hnsw$/.test(n)), [], 'the database (rolled back to its last commit) only; no partial files, no lock');

    assert.equal(rc('stats'), 0, read('stats.err'));
    assert.equal(JSON.parse(read('stats.out')).files, 11, 'the previous index opens');
    // `search` brings the index up to date first; with the disk full it searches the index as it is.
    assert.equal(rc('search'), 0, read('search.err'));
    assert.match(read('search.err'), /warning: Cannot write the index in .*: the disk is full\. Searching the index as it is\./);
    assert.match(read('search.out'), /sorting\.c/);

    assert.equal(rc('recovered'), 0, read('recovered.err'));
    assert.equal(JSON.parse(read('recovered.out')).files, 11);
  } finally {
    removeTree(tmp);
  }
});
