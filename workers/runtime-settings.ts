/**
 * The worker's runtime settings (cache size, node flags, environment), in a module of their own
 * (no engine imports) so the bench's bare worker runs with the very same ones: a ratio then
 * measures the engine's code, not its settings.
 */

/**
 * 100, not the 500 it was: a cached workflow costs about 170 KB of the Rust core's native memory
 * besides its JavaScript state, and a payment waits for its money mostly evicted anyway (a
 * webhook days later finds it replayed). 100 holds the payments in flight at the bench's
 * concurrency (20 at a time), but not Prakerja's token OTP budget workflows, which stay open 10 s
 * after each payment (about 160 at the bench's rate): those are evicted and replayed, short histories,
 * part of the worker's CPU per Prakerja payment. Measured by the bench's parked section and
 * recorded in the README's before/after rows.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

/**
 * The node flags the worker process runs with. Node refuses them in NODE_OPTIONS, so they go on
 * its command line: the stack (scripts/stack.ts) passes them, and a worker started by hand should
 * too (`MALLOC_ARENA_MAX=2 node --optimize-for-size --import tsx workers/main.ts`, as the README
 * shows).
 *
 * --optimize-for-size: V8 grows its heap less eagerly and collects sooner. A heap snapshot of a
 * worker that had parked 1,000 payments held a live JavaScript heap of 50.5 MB inside 217 MB of
 * V8 heap pages, the rest garbage not yet collected; with this flag (and the cache of 100) its
 * resident memory 3 s after parking was 234 MB against 349 MB without it. It costs CPU: V8
 * collects more often (worker CPU per payment 14-78% higher by saga in an A/B run). The README's
 * before/after rows have both figures.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];

/**
 * Environment the worker process starts with, under any value the operator set. MALLOC_ARENA_MAX:
 * the SDK's Rust core, libuv and V8 allocate from many threads, and glibc gives each thread its
 * own malloc arena (up to eight per core), every one holding freed memory of its own. Two arenas
 * (`npm run bench -- --quick --only=parked`, the same run with and without): worker RSS idle
 * 188 -> 163 MB, with 300 payments parked 239 -> 208 MB; the bare worker 170 -> 143 MB.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
