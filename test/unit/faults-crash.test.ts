import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { isKindredError } from '../../src/core/errors';
import { hashText, IndexStore } from '../../src/core/index/store';
import { readTextFile } from '../../src/core/text';
import { startCli } from '../helpers/cli';
import { removeTree } from '../helpers/fixtures';
import { diffIndex, groundTruth, seededRandom } from '../helpers/truth';

// Crash safety by fault injection: `kindred index` runs over a folder that changes between runs and is
// SIGKILLed at random moments, half of them aimed at the moment a save starts writing (a new generation's
// data file appears in the index directory). After every kill the index on disk must open and pass the
// integrity check (or not exist yet, before the first save); never be corrupt. A final normal run must
// converge to exactly the folder's content, with every vector the embedding of its chunk's text.
//
// The seed is fixed (KINDRED_FAULT_SEED picks another); KINDRED_FAULT_KILLS sets the number of kills
// (default 30). Where a kill lands depends on the machine's speed, so the loop runs until it has both
// the kills and enough kills inside a save (or gives up after MAX_ROUNDS), instead of a time budget:
// no assertion depends on how fast the machine is.

const KILLS = Number(process.env.KINDRED_FAULT_KILLS ?? 30);
const SEED = Number(process.env.KINDRED_FAULT_SEED ?? 20261127);
/** Kills that must cut a save short (leave a newer generation's files behind). */
const SAVES_INTERRUPTED = 5;
const INITIAL_FILES = 220;
const DIRS = ['core', 'api', 'util', 'ui', 'db', 'net', 'jobs', 'docs'];
/** Cap on the loop (about 2 rounds per kill are needed on a 2-core machine). */
const MAX_ROUNDS = 400;

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

test('SIGKILL at random moments never corrupts the index; a normal run then converges', { timeout: 900_000 }, async () => {
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

  const figures = {
    seed: SEED,
    runs: 0,
    kills: 0,
    killsAimedAtSaves: 0,
    /** Kills after which a newer generation's files or a temp manifest (written by that run) were left. */
    killsThatInterruptedASave: 0,
    staleLocksLeft: 0,
    completedRuns: 0,
    integrityChecksPassed: 0,
    missingBeforeFirstSave: 0,
  };
  const results: Record<string, unknown> = {};
  let everSaved = false;
  let typicalMs = 1500;
  const args = ['index', folder, '--index-dir', indexDir, '--json', '--threads', '1'];

  try {
    // Before anything is saved, a kill leaves no index at all (never a broken one).
    {
      const { child, done } = startCli(args, { KINDRED_CHECKPOINT_MS: '0' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 100);
      await done;
      clearTimeout(timer);
      try {
        assert.equal((await IndexStore.open(indexDir)).checkIntegrity(), undefined);
      } catch (e) {
        assert.ok(isKindredError(e) && e.code === 'index-missing', `after a kill before the first save: ${(e as Error).message}`);
        figures.missingBeforeFirstSave++;
      }
      // Then one complete run: every kill below hits an index that exists, and its duration times the kills.
      const first = await startCli(args).done;
      assert.equal(first.code, 0, first.stderr);
      typicalMs = first.ms;
      everSaved = true;
    }
    for (let round = 1; (figures.kills < KILLS || figures.killsThatInterruptedASave < SAVES_INTERRUPTED) && round <= MAX_ROUNDS; round++) {
      mutate(round);
      figures.runs++;
      const aimAtSave = round % 2 === 0;
      const runStart = Date.now();
      const { child, done } = startCli(args, { KINDRED_CHECKPOINT_MS: '0' });
      const kill = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      let watcher: FSWatcher | undefined;
      let timer: NodeJS.Timeout;
      if (aimAtSave) {
        // Kill a few ms after a save starts writing: somewhere inside the data files, the hashing,
        // the manifest's temp file, the rename or the clean-up of the previous generation.
        let armed = false;
        watcher = watch(indexDir, (_event, name) => {
          if (armed || !name || !/^(meta|lexical|vectors)\.\d+\.(json|hnsw)$/.test(name)) return;
          armed = true;
          setTimeout(kill, rand() * 30);
        });
        timer = setTimeout(kill, typicalMs * 3);
      } else {
        timer = setTimeout(kill, typicalMs * (0.1 + rand() * 1.2));
      }
      const r = await done;
      clearTimeout(timer);
      watcher?.close();

      const detail = `round ${round} (seed ${SEED}): exit ${r.code ?? r.signal}; stderr: ${r.stderr.slice(0, 500)}`;
      if (r.signal === 'SIGKILL') {
        figures.kills++;
        if (aimAtSave) figures.killsAimedAtSaves++;
      } else {
        assert.equal(r.code, 0, `a run that was not killed failed: ${detail}`);
        figures.completedRuns++;
        typicalMs = 0.7 * typicalMs + 0.3 * r.ms;
      }

      // What a kill left: files of a generation newer than the manifest's, or a temp manifest, written
      // by this run, mean it cut a save short.
      const gen = (await IndexStore.peek(indexDir))?.generation ?? 0;
      const leftovers = readdirSync(indexDir).filter(
        (n) => (/^manifest\.json\.\d+\.tmp$/.test(n) || Number(/^(?:meta|lexical|vectors)\.(\d+)\./.exec(n)?.[1] ?? 0) > gen) && statSync(path.join(indexDir, n)).mtimeMs >= runStart - 5,
      );
      if (r.signal === 'SIGKILL' && leftovers.length > 0) figures.killsThatInterruptedASave++;
      if (readdirSync(indexDir).includes('lock')) figures.staleLocksLeft++;

      try {
        const store = await IndexStore.open(indexDir);
        assert.equal(store.checkIntegrity(), undefined, detail);
        figures.integrityChecksPassed++;
        everSaved = true;
      } catch (e) {
        if (isKindredError(e) && e.code === 'index-missing' && !everSaved) figures.missingBeforeFirstSave++;
        else assert.fail(`after ${r.signal ?? 'exit'} the index does not open: ${(e as Error).message}; ${detail}`);
      }
    }
    assert.equal(figures.integrityChecksPassed, figures.runs, 'after the first save, the index opens valid after every kill');
    assert.ok(figures.kills >= KILLS, `only ${figures.kills} kills in ${MAX_ROUNDS} rounds: ${JSON.stringify(figures)}`);
    assert.ok(figures.killsThatInterruptedASave >= SAVES_INTERRUPTED, `too few kills landed inside a save: ${JSON.stringify(figures)}`);

    // A normal run (default checkpoints) converges to exactly the folder's content.
    mutate(1000);
    const final = await startCli(args).done;
    assert.equal(final.code, 0, final.stderr);
    const truth = await groundTruth(folder);
    const store = await IndexStore.open(indexDir);
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
          const text = lines.slice(c.startLine - 1, c.endLine).join('\n');
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
