#!/usr/bin/env node
// Runs the extension's end-to-end mocha suite (out/test/e2e/suite) in a real VS Code extension host
// on a fresh copy of test/fixtures/workspace, with the real model. Launcher: code-server here
// (default), or desktop VS Code through @vscode/test-electron with `--electron`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electron = process.argv.includes('--electron');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-e2e-'));
const workspace = path.join(tmp, 'workspace');
cpSync(path.join(root, 'test/fixtures/workspace'), workspace, { recursive: true });
const env = { KINDRED_INDEX_ROOT: path.join(tmp, 'indexes') };
if (process.env.KINDRED_E2E_GREP) env.KINDRED_E2E_GREP = process.env.KINDRED_E2E_GREP;

const runner = path.join(root, 'test/e2e-runner', electron ? 'run-electron.mjs' : 'run-code-server.mjs');
const r = spawnSync(
  process.execPath,
  [runner, '--extension', root, '--tests', path.join(root, 'out/test/e2e/suite'), '--workspace', workspace, '--env', JSON.stringify(env), '--timeout', '900'],
  { stdio: 'inherit' },
);
rmSync(tmp, { recursive: true, force: true });
process.exit(r.status ?? 1);
