/**
 * The one protocol between the extension host and the engine process (a child process that owns
 * the index, the file watcher and the embedding workers; see src/worker/engineProcess.ts).
 * Requests get exactly one response; a `cancel` makes the request answer early with the error code
 * `cancelled`; events flow from the engine unasked. Everything here is plain data (JSON-safe).
 */
import type { ClusterMethod, ClusterResult } from './clusters';
import type { AdaptReport } from '../core/adapt/run';
import type { Dtype } from '../core/embedding/models';
import type { AdapterState } from '../core/engine';
import type { WorkspaceReport } from '../core/eval/workspace';
import type { IndexOnDisk } from '../core/index/listing';
import type { MatchQuality } from '../core/ranking/floor';
import type { SearchHit, SearchMode } from '../core/search';
import type { SearchFilter } from './searchFilter';

export type { SearchFilter };

export type { MatchQuality };

export type { AdaptReport, AdapterState };

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
  /** Up to eight lines of the chunk for the panel: those around the lines that matched the query, else the first. */
  snippet: string;
  /** Line number (1-based, in the file) of the snippet's first line. */
  snippetStartLine?: number;
  /** Lines of the snippet (1-based, in the file) that hold a word of the query: to highlight. */
  matchedLines?: number[];
}


/** The search a person reads: the hits, how far to trust them, and whether the index was complete. */
export interface WorkspaceAnswer {
  hits: WorkspaceHit[];
  /**
   * `good`: some chunk passed the model's relevance floor; `none`: none did and `hits` are keyword hits
   * ("no good match — showing keyword hits"); `unmeasured`: the model has no floor; `keyword-only`: no model.
   */
  match: MatchQuality;
  /** Cosine similarity of the query to its nearest chunk. */
  bestCosine?: number;
  /** Set while the index is being built: results come from the part already indexed ("partial: indexing 40%"). */
  partial?: { percent: number; phase: string };
  /** Set when no model is loaded: search is by keywords only ("keyword only: model X missing"). */
  keywordOnly?: { model: string; reason: string };
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
  /** The query adapter stored beside this folder's index (Kindred: Adapt Search to This Workspace), if any. */
  adapter?: AdapterState;
}

export interface EngineStatus {
  state: EngineState;
  model: string;
  dims: number;
  folders: FolderStatus[];
  progress?: {
    phase: string;
    done: number;
    total: number;
    folder: string;
    /** Seconds left in this phase, from the rate measured over the last seconds (set once there is a rate). */
    etaSeconds?: number;
    /** That rate: items per second (chunks while embedding, files while chunking). */
    perSecond?: number;
  };
  /** Set when state is 'error' (or a degraded mode): a sentence and the fix. */
  error?: { code?: string; message: string; fix?: string };
  lastUpdate?: { seconds: number; embedded: number; reused: number; deleted: number; skipped: number; files?: number; chunks?: number; folder?: string; at?: number };
  /** Precision of the model's weights. */
  dtype?: Dtype;
  /** What is running in the engine: model runtimes and file watchers (one each when configured; diagnostics and tests). */
  live?: { runtimes: number; watchers: number };
  /** Files changed on disk and not yet updated in the index (waiting for the debounce, a running update or resume). */
  pendingFiles?: number;
  /**
   * Whether the configured model is loaded. When false, `embedded` counts belong to no loaded model
   * and must not be shown as progress; search is by keywords only.
   */
  modelLoaded?: boolean;
}

/** Everything Show Index Status reports about one folder. */
export interface FolderDetails extends FolderStatus {
  /** The folder's index directory (one subdirectory per model + precision). */
  indexDir: string;
  /** The directory of the current model's index. */
  storeDir: string;
  /** Every index of this folder on disk, with its size (as `kindred indexes` lists them). */
  indexes: IndexOnDisk[];
  /** When this folder's index was last brought up to date (ms since the epoch), in this session. */
  lastUpdatedAt?: number;
}

/** What Show Index Status reports. */
export interface IndexDetails {
  status: EngineStatus;
  folders: FolderDetails[];
  /** The last warnings and errors the engine logged (newest last), for the report. */
  recentWarnings: string[];
}

/** What Adapt Search to This Workspace answers for one folder. */
export interface AdaptOutcome {
  /** Index of the folder in EngineConfig.folders, and its name. */
  folder: number;
  name: string;
  /** The measured run (pairs, split, before/after, whether it was switched on and why not). */
  report?: AdaptReport;
  /** Set instead of `report` when there were too few pairs to train on: the sentence that says so. */
  declined?: { message: string; fix?: string };
  /** The folder's adapter after the run (the new one, or the previous one when declined). */
  adapter?: AdapterState;
  /** Whether the general-query check (CoSQA) could run: the folder given in the settings. */
  cosqaDir?: string;
}

/** A model the picker offers, with where it is installed. */
export interface ModelChoice {
  id: string;
  dtype: Dtype;
  /** `bundled`: shipped in the extension; `local`: in the models folder; `downloaded`: in the download cache; undefined: missing. */
  installed?: 'bundled' | 'local' | 'downloaded';
  /** Download size of the weights when known (MB). */
  sizeMB?: number;
}

export interface EngineMethods {
  configure: { params: EngineConfig; result: EngineStatus };
  /** `filter`: only hits in a folder or glob, or without tests (the panel's filter box and toggle). */
  search: { params: { query: string; k: number; mode?: SearchMode; filter?: SearchFilter }; result: WorkspaceHit[] };
  /** The search a person reads (QuickPick, panel): relevance floor, calibrated relevance, filters, partial/keyword-only state. */
  answer: { params: { query: string; k: number; filter?: SearchFilter }; result: WorkspaceAnswer };
  /** Show Index Status: per folder, the index and the indexes on disk; recent warnings. */
  details: { params: Record<string, never>; result: IndexDetails };
  /** The models the picker offers and whether each is installed. */
  models: { params: Record<string, never>; result: ModelChoice[] };
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
  /**
   * MTEB-style check of the current model on the folder's own code: doc comments as queries, the code they
   * document as targets, over the index's own chunks and vectors (only the queries and the documented chunks,
   * their comments removed, are embedded). Fails with `eval-too-few-pairs` below MIN_EVAL_PAIRS pairs.
   */
  evalWorkspace: { params: { folder: number }; result: WorkspaceReport };
  /**
   * Trains the folder's query adapter on pairs mined from it, measures it (held-out pairs; CoSQA test when
   * `cosqaDir` is given) and stores it beside the index, switched on only when measured better; an adapter
   * that is on applies to the next search. Cancelling writes nothing. Progress: `adaptProgress` events.
   */
  adapt: { params: { folder: number; cosqaDir?: string }; result: AdaptOutcome };
  /** Turns the folder's stored adapter off (kept on disk) or back on; instant, nothing is embedded again. */
  setAdapter: { params: { folder: number; enabled: boolean }; result: AdapterState };
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
  | { kind: 'event'; event: 'indexChanged'; folder: string }
  | { kind: 'event'; event: 'adaptProgress'; folder: string; phase: string; done: number; total: number };

export type FromEngine = ResponseMessage | EventMessage;
