import * as vscode from 'vscode';
import type { EngineStatus } from '../shared/engineProtocol';
import { describeStatus } from './reports';

export { describeStatus };

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
    this.item.text = `${d.icon} ${d.text}`;
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
