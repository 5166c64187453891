/**
 * `kindred mcp <folder>`: a Model Context Protocol server over stdio (official SDK). stdout carries
 * only JSON-RPC: everything else written to stdout in this process (console.log, worker threads'
 * output) is sent to stderr instead.
 */
import { Writable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import Ajv from 'ajv';
import type { EngineOptions } from '../core/engine';
import { SERVER_INSTRUCTIONS } from './instructions';
import { McpSession } from './session';
import { TOOL_ANNOTATIONS, TOOLS, toolFailure, type ToolDef } from './tools';

declare const KINDRED_VERSION: string | undefined;

/** Keeps fd 1 for the protocol; returns a stream that writes to it. */
function claimStdout(): Writable {
  const out = process.stdout;
  const write = out.write.bind(out) as (chunk: unknown, cb?: (err?: Error | null) => void) => boolean;
  out.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) =>
    (process.stderr.write as (...a: unknown[]) => boolean)(chunk, encoding, cb)) as typeof out.write;
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  return new Writable({
    write(chunk, _encoding, callback) {
      if (!write(chunk)) out.once('drain', () => callback());
      else callback();
    },
  });
}

/**
 * The server: tools/list from the tools table; tools/call validates the arguments against the
 * tool's JSON Schema (an unknown tool or invalid arguments is a JSON-RPC "invalid params" error),
 * then runs it (a failure while running is a tool result with isError, for the model to read).
 */
export function createServer(session: McpSession): { server: Server; drained: () => Promise<void> } {
  let inflight = 0;
  let waiters: (() => void)[] = [];
  const drained = (): Promise<void> => (inflight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));
  const server = new Server(
    { name: 'kindred', title: 'Kindred semantic code search', version: typeof KINDRED_VERSION === 'string' ? KINDRED_VERSION : '0.0.0' },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { tools: {} } },
  );
  const ajv = new Ajv({ allErrors: true, strict: false });
  const tools = new Map<string, { def: ToolDef; validate: ReturnType<typeof ajv.compile> }>(TOOLS.map((def) => [def.name, { def, validate: ajv.compile(def.inputSchema) }]));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema as { type: 'object' },
      ...(t.outputSchema ? { outputSchema: t.outputSchema as { type: 'object' } } : {}),
      annotations: { title: t.title, ...TOOL_ANNOTATIONS },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = tools.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${request.params.name}". Tools: ${TOOLS.map((t) => t.name).join(', ')}.`);
    const args = request.params.arguments ?? {};
    if (!tool.validate(args)) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for ${tool.def.name}: ${ajv.errorsText(tool.validate.errors, { dataVar: 'arguments' })}.`);
    }
    inflight++;
    try {
      return await tool.def.run(session, args);
    } catch (e) {
      return toolFailure(e);
    } finally {
      if (--inflight === 0) {
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    }
  });
  return { server, drained };
}

/** Serves until stdin closes or a signal arrives; resolves with the exit code. */
export async function serveStdio(engine: EngineOptions, update: boolean): Promise<number> {
  const stdout = claimStdout();
  const session = new McpSession({ engine, update });
  const { server, drained } = createServer(session);
  const transport = new StdioServerTransport(process.stdin, stdout);
  // A line that is not JSON-RPC cannot be answered (no id): say so on stderr and keep serving.
  server.onerror = (e) => process.stderr.write(`kindred mcp: ${e.message}\n`);
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let closing = false;
  const shutdown = async (code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    await session.close().catch((e) => process.stderr.write(`kindred mcp: ${String(e)}\n`));
    await server.close().catch(() => undefined);
    finish(code);
  };
  transport.onclose = () => void shutdown(0);
  // A client that writes its requests and closes stdin still gets every answer.
  process.stdin.once('end', () => void drained().then(() => shutdown(0)));
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));
  await server.connect(transport);
  process.stderr.write(`kindred mcp: serving ${engine.folder} over stdio\n`);
  return finished;
}
