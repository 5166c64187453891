import type { FromWebview, PanelView } from '../shared/webviewProtocol';

/** What the panel keeps across reloads of the webview (vscode.setState). */
export interface PanelState {
  view?: PanelView;
  query?: string;
  filterPath?: string;
  includeTests?: boolean;
}

/** The object VS Code injects into a webview (acquireVsCodeApi may be called once). */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

/** Sends a message to the extension: only the messages of the protocol compile. */
export function send(msg: FromWebview): void {
  api.postMessage(msg);
}

export function getState(): PanelState {
  const s = api.getState();
  return typeof s === 'object' && s !== null ? (s as PanelState) : {};
}

export function updateState(patch: Partial<PanelState>): void {
  api.setState({ ...getState(), ...patch });
}
