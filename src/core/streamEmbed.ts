import type { IndexStore } from './index/store';

/**
 * Embeds chunks while the rest of the folder is still being read and chunked, so the embedding workers
 * start at the first file instead of after the last (chunking a large folder takes seconds during which
 * they would idle). One text per call, up to `concurrency` calls in flight, in the order chunks arrive;
 * chunks with the same text share one call. `stop()` ends it when chunking is done: what it has not
 * started stays pending for the indexer's waves (with their order and checkpoints).
 */
export class StreamingEmbedder {
  private readonly queue: string[] = [];
  /** Chunk ids waiting for each text's vector, by text hash (queued or in flight). */
  private readonly groups = new Map<string, { text: string; ids: number[] }>();
  private inFlight = 0;
  private stopped = false;
  private error: unknown;
  private drained: (() => void) | undefined;
  /** Chunks given a vector so far. */
  embedded = 0;

  constructor(
    private readonly store: IndexStore,
    private readonly embed: (texts: string[]) => Promise<Float32Array[]>,
    private readonly concurrency: number,
  ) {}

  push(id: number, hash: string, text: string): void {
    if (this.stopped || this.error !== undefined) return;
    const group = this.groups.get(hash);
    if (group) {
      group.ids.push(id);
      return;
    }
    this.groups.set(hash, { text, ids: [id] });
    this.queue.push(hash);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.error === undefined && this.inFlight < Math.max(1, this.concurrency) && this.queue.length > 0) {
      const hash = this.queue.shift()!;
      const group = this.groups.get(hash)!;
      this.inFlight++;
      this.embed([group.text]).then(
        ([vector]) => {
          // Ids pushed while the call ran share its vector; addVector skips chunks gone meanwhile.
          for (const id of group.ids) this.store.addVector(id, vector);
          this.embedded += group.ids.length;
          this.groups.delete(hash);
          this.settle();
        },
        (e: unknown) => {
          this.error ??= e;
          this.groups.delete(hash);
          this.settle();
        },
      );
    }
  }

  private settle(): void {
    this.inFlight--;
    this.pump();
    if (this.inFlight === 0) this.drained?.();
  }

  /** Starts nothing more and waits for the calls in flight; throws the first embedding error. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.error !== undefined) throw this.error;
  }
}
