import { errorMessage, isKindredError } from '../core/errors';
import { CANCELLED, type EngineMethods, type FromEngine, type RequestMessage, type ToEngine } from '../shared/engineProtocol';

export interface Handles {
  handle<M extends keyof EngineMethods>(method: M, params: EngineMethods[M]['params'], signal: AbortSignal): Promise<EngineMethods[M]['result']>;
}

/**
 * Turns protocol messages into calls on the service and answers each request exactly once. A
 * `cancel` aborts the request's signal and answers it at once with the code `cancelled` (work
 * that cannot stop midway finishes unseen). Returns false for `shutdown`, which the caller owns.
 */
export function createDispatcher(service: Handles, post: (m: FromEngine) => void): (msg: ToEngine) => boolean {
  const inflight = new Map<number, AbortController>();
  const answer = (msg: RequestMessage, reply: Omit<Extract<FromEngine, { kind: 'response' }>, 'kind' | 'id'>): void => {
    if (!inflight.delete(msg.id)) return; // answered already (cancelled)
    post({ kind: 'response', id: msg.id, ...reply });
  };
  return (msg) => {
    if (msg.kind === 'shutdown') return false;
    if (msg.kind === 'cancel') {
      const ac = inflight.get(msg.id);
      if (ac) {
        inflight.delete(msg.id);
        ac.abort();
        post({ kind: 'response', id: msg.id, error: { code: CANCELLED, message: 'The request was cancelled.' } });
      }
      return true;
    }
    const ac = new AbortController();
    inflight.set(msg.id, ac);
    let call: Promise<unknown>;
    try {
      call = service.handle(msg.method, msg.params as never, ac.signal);
    } catch (e) {
      call = Promise.reject(e);
    }
    call.then(
      (result) => answer(msg, { result }),
      (e: unknown) =>
        answer(msg, {
          error: (e as Error)?.name === 'AbortError' ? { code: CANCELLED, message: 'The request was cancelled.' } : isKindredError(e) ? { code: e.code, message: e.message, fix: e.fix } : { message: errorMessage(e) },
        }),
    );
    return true;
  };
}
