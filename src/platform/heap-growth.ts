import { setFlagsFromString } from 'node:v8';

/**
 * Sets how far V8 lets the heap grow past what survived the last full collection before it
 * collects again (`--heap-growing-percent`). Left to itself, V8 picks a factor of up to four
 * when collection looks cheap next to the program's allocation, and a server under load
 * allocates fast: with about 60 MB live, an ingesting process's heap went to 250 MB of mostly
 * garbage before each full collection (bench/README.md, peak RSS). At 50 % it stays near 100 MB
 * for a few percent more CPU per event (measured, same run).
 *
 * V8 reads the flag each time it sets the next limit, so setting it at start-up (before the
 * server allocates anything large) is enough; Node keeps V8's flags writable after start
 * (`--no-freeze-flags-after-init` is its default). 0 leaves V8's own factor.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
