#!/usr/bin/env node
// Runs an extension's compiled mocha suite inside a real VS Code extension host (code-server + headless chromium).
//
// usage: node test/e2e-runner/run-code-server.mjs --extension <abs ext dir> --tests <abs dir of compiled suite index.js>
//          --workspace <abs folder> [--env JSON] [--timeout SECONDS] [--verbose] [--keep] [--logs-dir DIR]
//
//   --extension  folder with the extension's package.json (extensionDevelopmentPath)
//   --tests      folder whose index.js exports run() (extensionTestsPath)
//   --workspace  folder opened in the window (optional: an empty temp folder otherwise)
//   --env        JSON object of env vars for the extension host (extensionEnvironment)
//   --timeout    seconds for the whole run (default 600, or $KINDRED_E2E_TIMEOUT)
//   --verbose    also print code-server's output and the workbench's own log lines (stderr)
//   --keep       keep the temp dir (code-server log, user data) and print where it is
//   --logs-dir   copy VS Code's logs (handed over with the exit code) there
//
// stdout: the test log lines from the extension host. stderr: harness progress.
// exit code: the suite's (0 pass, 1 fail), 124 on timeout, 2 on a harness error.
// Env: KINDRED_CODE_SERVER (use this code-server binary, skip setup), KINDRED_CHROMIUM, KINDRED_CACHE_DIR.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  HarnessError, makeLog, onSignal, resolveCodeServer, startCodeServer, launchBrowser, workbenchUrl, remoteUri, formatLogArgs,
} from './lib.mjs';

const log = makeLog('run-code-server');

function usage(msg) {
  process.stderr.write(`run-code-server: ${msg}\nusage: node test/e2e-runner/run-code-server.mjs --extension <abs ext dir> --tests <abs suite dir> --workspace <abs folder> [--env JSON] [--timeout SECONDS] [--verbose] [--keep] [--logs-dir DIR]\n`);
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        extension: { type: 'string' }, tests: { type: 'string' }, workspace: { type: 'string' },
        env: { type: 'string' }, timeout: { type: 'string' }, verbose: { type: 'boolean' },
        keep: { type: 'boolean' }, 'logs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) { usage(e.message); }
  if (values.help) usage('help');
  for (const k of ['extension', 'tests']) {
    if (!values[k]) usage(`--${k} is required`);
    values[k] = path.resolve(values[k]);
  }
  if (!fs.existsSync(path.join(values.extension, 'package.json'))) usage(`no package.json in --extension ${values.extension}`);
  const testsDir = fs.existsSync(values.tests) && fs.statSync(values.tests).isFile() ? path.dirname(values.tests) : values.tests;
  if (!fs.existsSync(path.join(testsDir, 'index.js'))) usage(`no index.js in --tests ${values.tests} (compile the suite first)`);
  values.tests = testsDir;
  if (values.workspace) {
    values.workspace = path.resolve(values.workspace);
    if (!fs.existsSync(values.workspace)) usage(`--workspace ${values.workspace} does not exist`);
  }
  let env = {};
  if (values.env) {
    try { env = JSON.parse(values.env); } catch (e) { usage(`--env is not JSON: ${e.message}`); }
    if (!env || typeof env !== 'object' || Array.isArray(env)) usage('--env must be a JSON object');
    env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  }
  const timeout = Number(values.timeout ?? process.env.KINDRED_E2E_TIMEOUT ?? 600);
  if (!(timeout > 0)) usage(`--timeout must be a positive number of seconds`);
  return { ...values, env, timeout };
}

// The workbench hands every log line of its own to codeAutomationLog, and in a test run the extension
// host's console output too, with no marker telling them apart. So known workbench chatter is
// dropped (shown with --verbose) and everything else goes to stdout: a test line is never hidden.
const WORKBENCH_NOISE = [
  /^\[(AccountPolicyGate|reconnection-grace-time|Service Worker|AgentHost(:[\w-]+)?|AgentHostChannel|driver)\] /,
  /^Resolv(ing|ed) connection token \(/,
  /^Creating a socket \(renderer-/,
  /^Updating additional builtin extensions cache/,
  /ENOTFOUND open-vsx\.org|open-vsx\.org\/vscode\/gallery|getaddrinfo ENOTFOUND (marketplace|update|az764295|default)\./,
];
function isNoise(text) {
  return WORKBENCH_NOISE.some((re) => re.test(text));
}

async function main() {
  const opts = parse();
  const t0 = Date.now();
  let workspace = opts.workspace;
  let tmpWorkspace = null;
  if (!workspace) { tmpWorkspace = workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'kindred-ws-')); }

  const codeServer = await resolveCodeServer(log);
  const server = await startCodeServer({ codeServer, log, verbose: opts.verbose, keepTmp: opts.keep, smokeTestDriver: true });
  let browserHandle = null;
  let timer = null;
  let finishing = null;
  const finish = (code, why) => (finishing ||= (async () => {
    clearTimeout(timer);
    if (why) process.stderr.write(`${why}\n`);
    if (browserHandle) await browserHandle.close();
    if (opts.keep) log(`kept ${server.tmp} (code-server log: ${server.logFile})`);
    await server.stop();
    if (tmpWorkspace) fs.rmSync(tmpWorkspace, { recursive: true, force: true });
    log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${code}`);
    process.exit(code);
  })());
  onSignal((sig) => finish(sig === 'SIGINT' ? 130 : 143, `run-code-server: interrupted by ${sig}; killing code-server and chromium`));

  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeout * 1000);
  });
  const serverDied = server.onExit.then((r) => ({ kind: 'server-exit', ...r }));

  let exitResolve;
  const exited = new Promise((r) => { exitResolve = r; });
  try {
    browserHandle = await launchBrowser({ log });
    const { page } = browserHandle;
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = formatLogArgs(args);
      if (!isNoise(text)) process.stdout.write(`${text}\n`);
      else if (opts.verbose) process.stderr.write(text.split('\n').map((l) => `[workbench ${type}] ${l}\n`).join(''));
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      exitResolve({ kind: 'exit', code, logs });
    });
    page.on('crash', () => exitResolve({ kind: 'error', message: 'the workbench page crashed' }));
    page.on('pageerror', (e) => opts.verbose && process.stderr.write(`[page error] ${e.message}\n`));
    if (opts.verbose) page.on('console', (m) => process.stderr.write(`[console.${m.type()}] ${m.text()}\n`));

    const payload = [
      ['extensionDevelopmentPath', remoteUri(server.host, opts.extension)],
      ['extensionTestsPath', remoteUri(server.host, opts.tests)],
      ['skipWelcome', 'true'],
    ];
    if (Object.keys(opts.env).length) payload.push(['extensionEnvironment', JSON.stringify(opts.env)]);
    const url = workbenchUrl(server.url, { folder: workspace, payload });
    log(`opening workbench (extension ${opts.extension}, tests ${opts.tests}, folder ${workspace})`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  } catch (e) {
    return finish(2, `run-code-server: error: ${e instanceof HarnessError ? e.message : (e && e.message) || e}`);
  }

  const r = await Promise.race([exited, timedOut, serverDied]);
  if (r.kind === 'exit') {
    if (opts['logs-dir'] && Array.isArray(r.logs)) {
      for (const { relativePath, contents } of r.logs) {
        const f = path.join(opts['logs-dir'], relativePath);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, contents);
      }
      log(`VS Code logs written to ${opts['logs-dir']}`);
    }
    const code = Number.isInteger(r.code) ? r.code : 1;
    return finish(code, code === 0 ? null : `run-code-server: test suite failed (extension host exit code ${r.code})`);
  }
  if (r.kind === 'timeout') {
    return finish(124, `run-code-server: error: timed out after ${opts.timeout} s: the test suite did not finish (no codeAutomationExit); killing code-server and chromium${opts.keep ? ` (code-server log: ${server.logFile})` : ' (rerun with --verbose --keep to see why)'}`);
  }
  if (r.kind === 'server-exit') {
    return finish(2, `run-code-server: error: code-server exited unexpectedly (${r.signal || 'exit ' + r.code}) before the suite finished`);
  }
  return finish(2, `run-code-server: error: ${r.message}`);
}

main().catch((e) => {
  process.stderr.write(`run-code-server: error: ${e instanceof HarnessError ? e.message : (e && e.stack) || e}\n`);
  process.exit(2);
});
