/**
 * When a trained query adapter is switched on (src/core/adapt/run.ts decides; the editor's report explains).
 * Here because both the engine and the extension's report need the numbers, and the extension must not
 * pull the trainer into its bundle.
 */

/** The adapter is switched on only with at least this held-out MRR gain… */
export const MIN_HELD_OUT_GAIN = 0.02;
/** …and at most this CoSQA MRR loss. */
export const MAX_COSQA_DROP = 0.01;
