/**
 * Messages for a webview that is not showing yet (hidden panel, still loading). Only what the view
 * still needs when it appears is kept: the latest message of each kind that replaces the one before
 * (status, index changed, view switch), and at most MAX_KEPT others (the newest), so a panel hidden
 * for a day does not collect a day of events.
 */
export class PendingMessages<M extends { type: string }> {
  private items: M[] = [];

  constructor(
    /** Kinds of which only the newest matters. */
    private readonly latestOnly: ReadonlySet<string>,
    private readonly maxKept = 50,
  ) {}

  push(msg: M): void {
    if (this.latestOnly.has(msg.type)) this.items = this.items.filter((m) => m.type !== msg.type);
    this.items.push(msg);
    if (this.items.length > this.maxKept) this.items.splice(0, this.items.length - this.maxKept);
  }

  /** Everything kept, oldest first; the queue is empty afterwards. */
  drain(): M[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  get size(): number {
    return this.items.length;
  }
}
