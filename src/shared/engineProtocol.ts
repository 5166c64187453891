/**
 * The one protocol between the extension host and the engine process (a child process that owns
 * the index, the file watcher and the embedding workers; see src/worker/engineProcess.ts).
 * Requests get exactly one response; a `cancel` makes the request answer early with the error code
 * `cancelled`; events flow from the engine unasked. Everything here is plain data (JSON-safe).
 */
import type { ClusterMethod, ClusterResult } from './clusters';
import type { Dtype } from '../core/embedding/models';
import type { WorkspaceReport } from '../core/eval/workspace';
import type { SearchHit, SearchMode } from '../core/search';
import type { SearchFilter } from './searchFilter';

export interface EngineConfig {
  folders: { path: string; name: string }[];
  modelId: string;
  /** Local models folder; undefined: the extension's bundled models, then the user cache. */
  modelsDir?: string;
  allowDownload: boolean;
  dtype: Dtype;
  /** 0: all cores but one. */
  threads: number;
  exclude: string[];
  maxFileBytes: number;
  indexOnStartup: boolean;
  /** Index directories go here (one per folder); undefined: the per-folder cache default. */
  indexRoot?: string;
}

/** A search hit with the workspace folder it belongs to. */
export interface WorkspaceHit extends SearchHit {
  /** Index of the folder in EngineConfig.folders. */
  folder: number;
  /** Up to a few lines of the chunk, for the panel. */
  snippet: string;
}

export type EngineState = 'starting' | 'indexing' | 'idle' | 'paused' | 'error' | 'readonly';

export interface FolderStatus {
  path: string;
  name: string;
  files: number;
  chunks: number;
  /** Chunks with a vector; the rest are searchable by keywords only until embedded. */
  embedded: number;
  bytesOnDisk: number;
}

export interface EngineStatus {
  state: EngineState;
  model: string;
  dims: number;
  folders: FolderStatus[];
  progress?: { phase: string; done: number; total: number; folder: string };
  /** Set when state is 'error' (or a degraded mode): a sentence and the fix. */
  error?: { code?: string; message: string; fix?: string };
  lastUpdate?: { seconds: number; embedded: number; reused: number; deleted: number; skipped: number };
  /** Precision of the model's weights. */
  dtype?: Dtype;
  /** What is running in the engine: model runtimes and file watchers (one each when configured; diagnostics and tests). */
  live?: { runtimes: number; watchers: number };
  /** Files changed on disk and not yet updated in the index (waiting for the debounce, a running update or resume). */
  pendingFiles?: number;
}

export interface EngineMethods {
  configure: { params: EngineConfig; result: EngineStatus };
  /** `filter`: only hits in a folder or glob, or without tests (the panel's filter box and toggle). */
  search: { params: { query: string; k: number; mode?: SearchMode; filter?: SearchFilter }; result: WorkspaceHit[] };
  similar: { params: { path: string; startLine: number; endLine: number; text?: string; k: number }; result: WorkspaceHit[] };
  reindex: { params: { full: boolean }; result: void };
  setPaused: { params: { paused: boolean }; result: EngineStatus };
  status: { params: Record<string, never>; result: EngineStatus };
  /** Files the user has open or just edited: embedded first. Absolute paths. */
  prioritize: { params: { paths: string[] }; result: void };
  /** Clusters of related files in one folder (optionally under a path prefix); updated incrementally between calls. */
  clusters: {
    params: { folder: number; method: ClusterMethod; k: number | 'auto'; scope?: string; reselect?: boolean };
    result: ClusterResult & { folder: number };
  };
  /** MTEB-style check of the current model on the folder's own code: doc comments as queries, the code they document as targets. */
  evalWorkspace: { params: { folder: number }; result: WorkspaceReport };
  /** Folders and their directories (two levels deep), for the clusters scope picker. */
  scopes: { params: Record<string, never>; result: { name: string; dirs: string[] }[] };
  /** Run pending updates now and resolve when the index matches the disk (tests, "Reindex"). */
  flush: { params: Record<string, never>; result: EngineStatus };
}

export type EngineMethod = keyof EngineMethods;

/**
 * Requests that change the engine's state run one at a time, in order (a queue in the engine):
 * two model switches never overlap. Queries (search, similar, status, ...) run between them.
 */
export const SERIAL_METHODS: ReadonlySet<EngineMethod> = new Set<EngineMethod>(['configure', 'reindex', 'setPaused', 'flush']);

/** The engine's side of the protocol: one handler per method, typed from EngineMethods. */
export type EngineHandlers = {
  [M in EngineMethod]: (params: EngineMethods[M]['params'], signal: AbortSignal) => Promise<EngineMethods[M]['result']>;
};

/** The error code of a request answered early because it was cancelled. */
export const CANCELLED = 'cancelled';

export type RequestMessage = {
  [M in EngineMethod]: { kind: 'request'; id: number; method: M; params: EngineMethods[M]['params'] };
}[EngineMethod];

/** Extension host -> engine: the request `id` is no longer wanted (a newer keystroke, a closed picker). */
export interface CancelMessage {
  kind: 'cancel';
  id: number;
}

/** Extension host -> engine: stop watching, close the indexes and exit. */
export interface ShutdownMessage {
  kind: 'shutdown';
}

export type ToEngine = RequestMessage | CancelMessage | ShutdownMessage;

export interface ResponseMessage {
  kind: 'response';
  id: number;
  result?: unknown;
  error?: { code?: string; message: string; fix?: string };
}

export type EventMessage =
  | { kind: 'event'; event: 'status'; status: EngineStatus }
  | { kind: 'event'; event: 'log'; level: 'info' | 'warn'; message: string }
  | { kind: 'event'; event: 'indexChanged'; folder: string };

export type FromEngine = ResponseMessage | EventMessage;
