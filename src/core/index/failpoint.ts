/**
 * Deterministic crash points for the fault-injection tests. `KINDRED_FAILPOINT=<name>[:<n>]` kills
 * this process with SIGKILL the n-th time (default: first) execution reaches `failpoint(name)`.
 * Unset (always, outside tests) it costs one comparison.
 */
const spec = process.env.KINDRED_FAILPOINT ?? '';
const [wanted, nth] = spec.split(':');
let hits = 0;

export function failpoint(name: string): void {
  if (!wanted || name !== wanted) return;
  hits++;
  if (hits >= (Number(nth) || 1)) process.kill(process.pid, 'SIGKILL');
}
