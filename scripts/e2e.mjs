#!/usr/bin/env node
// Runs the extension's end-to-end mocha suite (out/test/e2e/suite) in a real VS Code extension host
// on a fresh copy of test/fixtures/workspace, with the real model. Launcher: code-server here
// (default), or desktop VS Code through @vscode/test-electron with `--electron`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electron = process.argv.includes('--electron');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kindred-e2e-'));
// The workspace sits inside a git repository whose top-level .gitignore and .git/info/exclude
// leave out some of its files: the suite checks they are indexed as git sees them.
const repo = path.join(tmp, 'repo');
const workspace = path.join(repo, 'workspace');
cpSync(path.join(root, 'test/fixtures/workspace'), workspace, { recursive: true });
spawnSync('git', ['init', '-q', repo]);
writeFileSync(path.join(repo, '.gitignore'), 'workspace/generated-by-parent/\n*.parentignored.ts\n');
writeFileSync(path.join(repo, '.git', 'info', 'exclude'), 'excluded-by-info/\n');
mkdirSync(path.join(workspace, 'generated-by-parent'));
mkdirSync(path.join(workspace, 'excluded-by-info'));
writeFileSync(path.join(workspace, 'generated-by-parent', 'api.ts'), 'export function zebraGeneratedClient(): void {}\n');
writeFileSync(path.join(workspace, 'src', 'tokens.parentignored.ts'), 'export function zebraIgnoredTokens(): void {}\n');
writeFileSync(path.join(workspace, 'excluded-by-info', 'notes.ts'), 'export function zebraInfoExcluded(): void {}\n');
writeFileSync(path.join(workspace, 'src', 'zebra.ts'), 'export function zebraTrackedFunction(): void {}\n');
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
