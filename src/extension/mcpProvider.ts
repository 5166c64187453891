/**
 * Publishes `kindred mcp <folder>` (the bundled CLI) as an MCP server for each workspace folder, with
 * the extension's settings (model, models folder, excludes, index location), so agents that speak
 * MCP inside VS Code get the same index the extension keeps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_EXCLUDES } from '../core/discovery';
import { defaultIndexDir } from '../core/paths';
import { readEngineConfig } from './config';
import type { Ctx } from './context';

export const MCP_PROVIDER_ID = 'kindred.mcpServers';

export function mcpServerDefinitions(ctx: Ctx): vscode.McpStdioServerDefinition[] {
  const config = readEngineConfig();
  const ext = ctx.extension.extensionPath;
  const cli = path.join(ext, 'dist', 'cli.js');
  const bundledModels = path.join(ext, 'models');
  const modelsDir = config.modelsDir || (fs.existsSync(path.join(bundledModels, config.modelId, 'config.json')) ? bundledModels : undefined);
  const extraExcludes = config.exclude.filter((p) => !DEFAULT_EXCLUDES.includes(p));
  return config.folders.map((f) => {
    const args = [cli, 'mcp', f.path, '--model', config.modelId, '--dtype', config.dtype, '--max-file-size', String(config.maxFileBytes)];
    if (config.indexRoot) args.push('--index-dir', path.join(config.indexRoot, path.basename(defaultIndexDir(f.path))));
    if (modelsDir) args.push('--models-dir', modelsDir);
    if (config.allowDownload) args.push('--allow-download');
    if (config.threads > 0) args.push('--threads', String(config.threads));
    for (const e of extraExcludes) args.push('--exclude', e);
    // process.execPath is the editor's own runtime: run it as plain Node.
    return new vscode.McpStdioServerDefinition(`Kindred: ${f.name}`, process.execPath, args, { ELECTRON_RUN_AS_NODE: '1' }, String(ctx.extension.extension.packageJSON.version ?? ''));
  });
}

export function registerMcpProvider(ctx: Ctx): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition> = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => mcpServerDefinitions(ctx),
  };
  return [
    changed,
    vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kindred') || e.affectsConfiguration('files.exclude')) changed.fire();
    }),
  ];
}
