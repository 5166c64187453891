#!/usr/bin/env node
// `npm run try [folder]` (after setup): the main job. Indexes the folder (default: this repository) with the
// CLI and shows a search, then opens VS Code on it with Kindred installed:
//   - desktop VS Code on PATH (`code`): `code --extensionDevelopmentPath=<repo> <folder>`;
//   - otherwise (these machines): code-server on 127.0.0.1 with the packaged VSIX installed; prints the URL
//     and runs until Ctrl-C. `--no-serve` stops after the CLI part; `--once` starts the server, checks it answers, and exits.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const folder = path.resolve(args.find((a) => !a.startsWith('--')) ?? root);
const say = (m) => process.stderr.write(`[try] ${m}\n`);
const cli = (...a) => spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), ...a], { stdio: 'inherit' }).status;

say(`indexing ${folder} (incremental: a re-run only embeds what changed)`);
if (cli('index', folder) !== 0) process.exit(1);
const query = 'where do we save the index to disk atomically';
say(`searching: "${query}"`);
cli('search', folder, query, '--k', '5', '--no-update');

if (args.includes('--no-serve')) process.exit(0);

const desktop = spawnSync('code', ['--version'], { encoding: 'utf8' });
if (desktop.status === 0 && !/code-server/i.test(desktop.stdout)) {
  say('opening desktop VS Code with the extension in development mode');
  spawnSync('code', [`--extensionDevelopmentPath=${root}`, folder], { stdio: 'inherit' });
  process.exit(0);
}

const { resolveCodeServer, startCodeServer, onSignal } = await import('../test/e2e-runner/lib.mjs');
const pack = spawnSync(process.execPath, [path.join(root, 'scripts/package.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (pack.status !== 0) process.exit(1);
const vsix = pack.stdout.trim().split('\n').pop();
const codeServer = await resolveCodeServer(say);
const server = await startCodeServer({ codeServer, vsix: [vsix], log: say, smokeTestDriver: false });
const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
process.stdout.write(`\nKindred is running in VS Code (code-server) at:\n\n  ${url}\n\nOpen it in a browser on this machine. Ctrl-C stops it.\n`);
if (args.includes('--once')) {
  const res = await fetch(url);
  say(`the workbench answered HTTP ${res.status}`);
  await server.stop();
  process.exit(res.ok ? 0 : 1);
}
onSignal(async () => {
  await server.stop();
  process.exit(0);
});
await server.onExit;
