/**
 * Retrieval for agents inside VS Code: language-model tools, an MCP server definition provider and
 * the @kindred chat participant. Each API is feature-detected: hosts without it (older versions,
 * forks) run the rest of the extension unchanged.
 */
import * as vscode from 'vscode';
import { registerChatParticipant } from './chatParticipant';
import type { Ctx } from './context';
import { registerLmTools } from './lmTools';
import { registerMcpProvider } from './mcpProvider';

/** Which agent features this host supports (and were registered). */
export interface AgentFeatures {
  lmTools: boolean;
  mcpProvider: boolean;
  chatParticipant: boolean;
}

export function registerAgentFeatures(ctx: Ctx): AgentFeatures {
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  const chat = (vscode as { chat?: Partial<typeof vscode.chat> }).chat;
  const features: AgentFeatures = { lmTools: false, mcpProvider: false, chatParticipant: false };
  const attempt = (name: keyof AgentFeatures, available: boolean, register: () => vscode.Disposable[]): void => {
    if (!available) {
      ctx.output.info(`${name}: not available in this editor; skipped.`);
      return;
    }
    try {
      ctx.push(...register());
      features[name] = true;
    } catch (e) {
      ctx.output.warn(`${name}: could not register (${(e as Error).message}).`);
    }
  };
  attempt('lmTools', typeof lm?.registerTool === 'function', () => registerLmTools(ctx));
  attempt('mcpProvider', typeof lm?.registerMcpServerDefinitionProvider === 'function' && typeof vscode.McpStdioServerDefinition === 'function', () => registerMcpProvider(ctx));
  attempt('chatParticipant', typeof chat?.createChatParticipant === 'function', () => registerChatParticipant(ctx));
  return features;
}
