import * as vscode from 'vscode';

/**
 * Read-only Markdown documents under the `kindred-report:` scheme (Show Index Status, Evaluate Search
 * Quality, Adapt Search), shown in the Markdown preview. The text is set by the command that made it; a document that is
 * open is refreshed by setting its text again (the preview follows).
 */
export class ReportView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly scheme = 'kindred-report';
  static readonly status = vscode.Uri.from({ scheme: ReportView.scheme, path: '/Kindred Index Status.md' });
  static readonly evaluation = vscode.Uri.from({ scheme: ReportView.scheme, path: '/Kindred Search Quality.md' });
  static readonly adaptation = vscode.Uri.from({ scheme: ReportView.scheme, path: '/Kindred Search Adapter.md' });
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(ReportView.scheme, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }

  /** The text of a report (what the last command put there). */
  text(uri: vscode.Uri): string | undefined {
    return this.texts.get(uri.path);
  }

  /** Whether the report is open in an editor or a preview (its document is loaded). */
  isOpen(uri: vscode.Uri): boolean {
    return vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
  }

  set(uri: vscode.Uri, text: string): void {
    if (this.texts.get(uri.path) === text) return;
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
  }

  /** Sets the report and shows it rendered (Markdown preview), or as text where there is no preview. */
  async show(uri: vscode.Uri, text: string): Promise<void> {
    this.set(uri, text);
    // Loaded before the preview asks for it (and so counted as open for refreshes).
    await vscode.workspace.openTextDocument(uri);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.window.showTextDocument(doc, { preview: true });
    }
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
