import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './fixtures';

/** The bundled CLI (`node esbuild.mjs` builds it before the tests run). */
export const CLI = path.join(repoRoot, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A running `node dist/cli.js ...`; `done` settles when it exits (by itself or killed). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, command: string[] = [process.execPath, CLI]): { child: ChildProcess; done: Promise<CliResult> } {
  const started = performance.now();
  const child = spawn(command[0], [...command.slice(1), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, command?: string[]): Promise<CliResult> {
  return startCli(args, env, command).done;
}
