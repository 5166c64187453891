/**
 * Errors the user can act on. `message` is one plain sentence; `fix` says what to do.
 * Anything that is not a KindredError is a bug and is reported with its stack.
 */
export type ErrorCode =
  | 'model-missing'
  | 'model-broken'
  | 'model-download-disabled'
  | 'index-corrupt'
  | 'index-locked'
  | 'index-missing'
  | 'index-unwritable'
  | 'bad-argument'
  | 'not-found'
  | 'index-incomplete'
  | 'eval-too-few-pairs'
  | 'adapt-too-few-pairs';

export class KindredError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'KindredError';
  }

  /** One line for a terminal or a notification. */
  toUserString(): string {
    return this.fix ? `${this.message} ${this.fix}` : this.message;
  }
}

export function isKindredError(e: unknown): e is KindredError {
  return e instanceof Error && (e as KindredError).name === 'KindredError' && typeof (e as KindredError).code === 'string';
}

export function errorMessage(e: unknown): string {
  if (isKindredError(e)) return e.toUserString();
  if (e instanceof Error) return e.message;
  return String(e);
}
