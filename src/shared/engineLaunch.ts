/**
 * How the engine process is started: the extension forks it with these, and the benchmark's indexing and cold-open
 * steps start theirs the same way, so memory.indexing and memory.idle measure what users run (docs/benchmarks.md).
 */

/**
 * V8 flags besides the heap limit: a 2 MB young generation (V8 grows each semi-space to 16 MB, and a grown nursery
 * stays resident), as indexing allocates mostly short-lived strings (peak RSS 366–383 → 323–339 MB when it was
 * added, throughput unchanged).
 */
export const ENGINE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * Environment: glibc's allocator keeps a heap per thread (up to eight per core), and the embedding worker's and V8's
 * background threads leave freed memory in theirs; two are enough for a process whose threads mostly wait on one
 * another. Peak RSS while indexing this repository's benchmark corpus (bench/index-real.mjs, 8,022 chunks): 348 /
 * 379 / 361 MB without it, 320 / 354 / 338 MB with it; idle with a 100k-chunk index open 392–393 → 378–380 MB.
 * The CLI runs without it unless its caller sets it; other C libraries ignore it.
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
