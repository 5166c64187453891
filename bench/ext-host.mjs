// Step: responsiveness of the real extension host. Copies the real corpus into a fresh workspace
// (kindred.indexOnStartup off, so indexing starts when the suite asks), runs bench/ext-host/ (a mocha
// suite) in code-server through test/e2e-runner/run-code-server.mjs with the extension from this
// repository (dist/), and returns the suite's KINDRED_BENCH_RESULT line.
//
//   node bench/ext-host.mjs --work DIR [--quick] [--nice-embed]
//
// --nice-embed (experiment): runs a copy of the extension whose embedding workers lower their own
// priority first (os.setPriority(19) at the top of dist/embedWorker.js; on Linux it applies to the
// calling thread only). src/ and the repository's dist/ are not touched.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prepareRealCorpus } from './corpus.mjs';
import { emit, loadavg, main, parseArgs, ROOT } from './lib.mjs';

main(async () => {
  const args = parseArgs();
  const work = path.resolve(args.work);
  const workspace = path.join(work, 'workspace');
  const indexRoot = path.join(work, 'indexes');
  mkdirSync(indexRoot, { recursive: true });
  const corpus = prepareRealCorpus(workspace, { quick: !!args.quick, settings: { 'kindred.indexOnStartup': false } });
  let extension = ROOT;
  if (args['nice-embed']) {
    extension = path.join(work, 'extension');
    mkdirSync(extension, { recursive: true });
    for (const f of ['package.json', 'dist', 'media']) cpSync(path.join(ROOT, f), path.join(extension, f), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(extension, 'node_modules'), 'dir');
    const w = path.join(extension, 'dist', 'embedWorker.js');
    writeFileSync(w, `try { require('node:os').setPriority(19); } catch {}\n${readFileSync(w, 'utf8')}`);
  }
  const runner = path.join(ROOT, 'test/e2e-runner/run-code-server.mjs');
  const child = spawn(
    process.execPath,
    [runner, '--extension', extension, '--tests', path.join(ROOT, 'bench/ext-host'), '--workspace', workspace, '--env', JSON.stringify({ KINDRED_INDEX_ROOT: indexRoot, KINDRED_BENCH_IDLE_SECONDS: args.quick ? '5' : '20' }), '--timeout', String(args.timeout ?? 1800)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
    process.stderr.write(d.split('\n').filter((l) => l && !l.startsWith('KINDRED_BENCH_RESULT')).map((l) => `[ext-host] ${l}\n`).join(''));
  });
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
  const line = stdout.split('\n').find((l) => l.includes('KINDRED_BENCH_RESULT '));
  if (!line) throw new Error(`the extension-host suite gave no result (exit ${code}):\n${stderr.split('\n').slice(-15).join('\n')}`);
  const result = JSON.parse(line.slice(line.indexOf('KINDRED_BENCH_RESULT ') + 'KINDRED_BENCH_RESULT '.length));
  emit({ step: 'ext-host', loadavg: loadavg(), exitCode: code, corpusFiles: corpus.files, niceEmbed: !!args['nice-embed'], ...result });
});
