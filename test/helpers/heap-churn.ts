/**
 * Child process of heap-growth.test.ts: applies a heap growth percent (argv[2]), keeps a live
 * set, allocates garbage that lives long enough to reach the old generation, and prints the
 * largest heap V8 reserved meanwhile.
 */
import { applyHeapGrowth } from '../../src/platform/heap-growth.js';

applyHeapGrowth(Number(process.argv[2]));
const live: object[] = [];
for (let i = 0; i < 600_000; i++) live.push({ i, s: `live-${i}`, a: [i, i + 1] });
// Each object survives 50,000 allocations: young collections promote it before it dies.
const ring: object[] = new Array(50_000);
let peak = 0;
for (let i = 0; i < 6_000_000; i++) {
  ring[i % ring.length] = { i, s: `garbage-${i}`, a: [i, i] };
  if (i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
}
process.stdout.write(JSON.stringify({ peakBytes: peak, live: live.length }));
