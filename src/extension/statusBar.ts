import * as vscode from 'vscode';
import type { EngineStatus } from '../shared/engineProtocol';

/** One-line summary of an engine status, for the status bar and the panel. */
export function describeStatus(s: EngineStatus): { icon: string; text: string; tooltip: string } {
  const files = s.folders.reduce((n, f) => n + f.files, 0);
  const chunks = s.folders.reduce((n, f) => n + f.chunks, 0);
  const embedded = s.folders.reduce((n, f) => n + f.embedded, 0);
  const bytes = s.folders.reduce((n, f) => n + f.bytesOnDisk, 0);
  // No model (missing or broken): the engine works on, searching by keywords only.
  const degraded = s.state !== 'error' && s.error?.code?.startsWith('model-') ? `${s.error.message} ${s.error.fix ?? ''}\n` : '';
  const detail = `${degraded}${files} files, ${embedded}/${chunks} chunks embedded, ${(bytes / 1e6).toFixed(1)} MB on disk; model ${s.model}`;
  switch (s.state) {
    case 'starting':
      return { icon: '$(loading~spin)', text: 'Kindred: starting', tooltip: 'Loading the embedding model' };
    case 'indexing': {
      const p = s.progress;
      const frac = p && p.total > 0 ? ` ${Math.floor((100 * p.done) / p.total)}%` : '';
      return { icon: '$(sync~spin)', text: `Kindred: ${p?.phase ?? 'indexing'}${frac}`, tooltip: `${p ? `${p.phase} ${p.done}/${p.total} in ${p.folder}\n` : ''}${detail}` };
    }
    case 'paused':
      return { icon: '$(debug-pause)', text: 'Kindred: paused', tooltip: `Indexing paused. ${detail}` };
    case 'error':
      return { icon: '$(error)', text: 'Kindred: error', tooltip: `${s.error?.message ?? 'error'} ${s.error?.fix ?? ''}` };
    case 'readonly':
      return { icon: '$(lock)', text: 'Kindred: read-only', tooltip: `${s.error?.message ?? ''} ${detail}` };
    default:
      if (degraded) return { icon: '$(warning)', text: `Kindred: ${files} files, keywords only`, tooltip: detail };
      // Updates failing (retried with backoff) or the watcher down: the index works but may be behind.
      if (s.error) return { icon: '$(warning)', text: `Kindred: ${files} files, not up to date`, tooltip: `${s.error.message} ${s.error.fix ?? ''}\n${detail}` };
      return { icon: '$(search)', text: `Kindred: ${files} files`, tooltip: `Indexed. ${detail}` };
  }
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kindred.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'Kindred';
    this.item.command = 'kindred.showStatus';
    this.update({ state: 'starting', model: '', dims: 0, folders: [] });
    this.item.show();
  }

  update(s: EngineStatus): void {
    const d = describeStatus(s);
    this.item.text = `${d.icon} ${d.text.replace(/^Kindred: /, '')}`;
    this.item.tooltip = d.tooltip;
    this.item.backgroundColor =
      s.state === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : d.icon === '$(warning)'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
