import { embeddingText } from '../../src/core/chunking/embedText';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { hashText, IndexStore } from '../../src/core/index/store';
import { readTextFile } from '../../src/core/text';
import { startCli } from '../helpers/cli';
import { removeTree } from '../helpers/fixtures';
import { diffIndex, groundTruth, seededRandom } from '../helpers/truth';

// Crash safety by fault injection: `kindred index` runs over a folder that changes between runs and is
// SIGKILLed at chosen points (KINDRED_FAILPOINT, see src/core/index/failpoint.ts): inside an SQLite
// transaction just before COMMIT, just after a COMMIT, after a snapshot's temp file is written, after it
// is renamed but before the store records it, and while the delta is replayed on open. After every kill
// the index on disk must open (read-only: exactly what the kill left) and pass the integrity check. A final
// normal run must converge to exactly the folder's content, with every vector its chunk's embedding.
// Deterministic: fixed kill points and a fixed seed for the folder's changes.

const SEED = 20261127;
/** Kill points, in order; `name:n` kills at the n-th time the point is reached in that run. */
const POINTS = ['commit:1', 'snapshot-written:1', 'commit:3', 'committed:2', 'snapshot-renamed:1', 'replay:1', 'commit:2', 'snapshot-renamed:1', 'committed:1', 'snapshot-written:1'];
const INITIAL_FILES = 220;
const DIRS = ['core', 'api', 'util', 'ui', 'db', 'net', 'jobs', 'docs'];

function source(id: number, version: number): string {
  if (id % 11 === 0) {
    return `# Module ${id}\n\nRevision ${version} of the notes for module ${id}.\n\n## Usage\n\nCall compute${id} with a number; it returns the scaled value (revision ${version}).\n`;
  }
  return (
    `/** Scales the input for step ${id} (revision ${version}). */\n` +
    `export function compute${id}(value: number): number {\n  // step ${id}, revision ${version}\n  return value * ${id} + ${version};\n}\n\n` +
    `export function describe${id}(): string {\n  return 'item ${id} of the catalogue, revision ${version}';\n}\n`
  );
}

test('SIGKILL inside commits, snapshot writes and replays never corrupts the index; a normal run then converges', { timeout: 300_000 }, async () => {
  const started = performance.now();
  const rand = seededRandom(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-faults-'));
  const folder = path.join(tmp, 'ws');
  const indexDir = path.join(tmp, 'index');
  mkdirSync(indexDir, { recursive: true });

  // The folder: id -> [relative path, revision].
  const files = new Map<number, [string, number]>();
  let nextId = 1;
  const write = (id: number, rel: string, version: number): void => {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), source(id, version));
    files.set(id, [rel, version]);
  };
  const addFile = (): void => {
    const id = nextId++;
    write(id, `${pick(DIRS)}/m${id}.${id % 11 === 0 ? 'md' : 'ts'}`, 0);
  };
  for (let i = 0; i < INITIAL_FILES; i++) addFile();

  /** Edits, adds, deletes and moves files, so every run has something to write. */
  const mutate = (round: number): void => {
    const ids = [...files.keys()];
    // Mostly small edits; every third round a big one, so a run saves checkpoints between rounds of batches.
    const edits = round % 3 === 0 ? 70 + Math.floor(rand() * 50) : 2 + Math.floor(rand() * 20);
    for (let i = 0; i < edits; i++) {
      const id = pick(ids);
      const f = files.get(id);
      if (f) write(id, f[0], round * 100 + i + 1);
    }
    for (let i = 0; i < 3; i++) addFile();
    for (let i = 0; i < 3; i++) {
      const id = pick([...files.keys()]);
      rmSync(path.join(folder, files.get(id)![0]));
      files.delete(id);
    }
    if (round % 4 === 0) {
      for (let i = 0; i < 4; i++) {
        const id = pick([...files.keys()]);
        const [rel, version] = files.get(id)!;
        const to = `${pick(DIRS)}/moved/${path.basename(rel)}`;
        mkdirSync(path.dirname(path.join(folder, to)), { recursive: true });
        renameSync(path.join(folder, rel), path.join(folder, to));
        files.set(id, [to, version]);
      }
    }
  };

  const figures = { kills: 0, integrityChecksPassed: 0, points: [] as string[] };
  const results: Record<string, unknown> = {};
  const args = ['index', folder, '--index-dir', indexDir, '--json', '--threads', '1'];
  const storeDir = (): string => path.join(indexDir, readdirSync(indexDir).find((n) => statSync(path.join(indexDir, n)).isDirectory())!);

  try {
    for (const [i, point] of POINTS.entries()) {
      const round = i + 1;
      mutate(round);
      // Checkpoints after every round of batches, a snapshot whenever there is a delta: every kill point is reached.
      const r = await startCli(args, { KINDRED_CHECKPOINT_MS: '0', KINDRED_SNAPSHOT_MIN: '1', KINDRED_FAILPOINT: point }).done;
      const detail = `round ${round}, point ${point}: exit ${r.code ?? r.signal}; stderr: ${r.stderr.slice(0, 500)}`;
      assert.equal(r.signal, 'SIGKILL', `the kill point was not reached: ${detail}`);
      figures.kills++;
      figures.points.push(point);
      const store = await IndexStore.open(storeDir(), { readOnly: true });
      try {
        assert.equal(store.checkIntegrity(), undefined, detail);
      } finally {
        await store.close();
      }
      figures.integrityChecksPassed++;
    }

    // A normal run (default checkpoints) converges to exactly the folder's content.
    mutate(1000);
    const final = await startCli(args).done;
    assert.equal(final.code, 0, final.stderr);
    const truth = await groundTruth(folder);
    const store = await IndexStore.open(storeDir(), { readOnly: true });
    assert.deepEqual(diffIndex(store, truth), { missing: [], extra: [], stale: [] });
    assert.equal(truth.size, files.size);
    assert.equal(store.pendingIds().length, 0, 'chunks without a vector');
    assert.equal(store.checkIntegrity(), undefined);

    // Every chunk's text is what its hash says (resumed runs verify this before embedding), and its
    // vector is that text's embedding. int8 activations are quantized per batch, so the same text
    // embeds a little differently in another batch (cosine ~0.98-0.999): the bound is loose.
    const engine = await Engine.open({ folder, indexDir, threads: 1 });
    try {
      const texts: string[] = [];
      const ids: number[] = [];
      for (const f of engine.index.files.values()) {
        const read = await readTextFile(path.join(folder, f.path), 1 << 20);
        assert.ok(read.ok);
        const lines = read.text.split(/\r?\n/);
        for (const id of f.chunks) {
          const c = engine.index.chunks.get(id)!;
          const text = embeddingText(c.path, { symbol: c.symbol, text: lines.slice(c.startLine - 1, c.endLine).join('\n') });
          assert.equal(hashText(text), c.hash, `chunk ${c.path}:${c.startLine}`);
          texts.push(text);
          ids.push(id);
        }
      }
      const fresh = await engine.runtime!.embedPassages(texts);
      const cos = ids.map((id, i) => engine.index.vectorOf(id)!.reduce((s, x, j) => s + x * fresh[i][j], 0)).sort((a, b) => a - b);
      results.vectorCosine = { worst: Math.round(cos[0] * 1000) / 1000, median: Math.round(cos[cos.length >> 1] * 1000) / 1000 };
      assert.ok(cos[0] > 0.95 && cos[cos.length >> 1] > 0.99, `stored vectors differ from their chunks' embeddings: ${JSON.stringify(results.vectorCosine)}`);
      const last = [...files.values()].at(-1)!;
      const hits = await engine.search(`compute${[...files.keys()].at(-1)}`, { k: 3, mode: 'bm25' });
      assert.equal(hits[0]?.path, last[0]);
    } finally {
      await engine.close();
    }
    Object.assign(results, { converged: true, files: truth.size, chunks: store.chunks.size });
  } finally {
    console.log(JSON.stringify({ crashSafety: { ...figures, ...results, seconds: Math.round((performance.now() - started) / 100) / 10 } }));
    removeTree(tmp);
  }
});
