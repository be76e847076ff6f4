import { failures, median, type Sample } from './load.js';

/** Everything measured for one scenario: Tessera and the bare-Fastify baseline, run by run. */
export interface Comparison {
  name: string;
  answerBytes: number;
  tessera: Sample[];
  baseline: Sample[];
  /** Not part of the figures, but a failure there still means something is wrong. */
  warmups: { tessera: Sample; baseline: Sample };
}

// autocannon records latencies in whole milliseconds, so 0 means "under 1 ms", not free.
const ms = (v: number) => (v === 0 ? '<1' : Number.isInteger(v) ? String(v) : v.toFixed(1));
const rps = (v: number) => Math.round(v).toLocaleString('en-US');

function summary(samples: Sample[]) {
  return {
    reqPerSec: median(samples.map((s) => s.reqPerSec)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
  };
}

/** One line per measured run, so a noisy run is visible behind its median. */
export function formatRun(name: string, server: string, run: number, s: Sample): string {
  const bad = s.non2xx + s.errors + s.timeouts;
  return (
    `  ${name} run ${run} ${server.padEnd(8)} ${rps(s.reqPerSec).padStart(7)} req/s  ` +
    `p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms${bad ? `  FAILED ${bad} (${JSON.stringify(s.statusCodes)}, errors ${s.errors}, timeouts ${s.timeouts})` : ''}`
  );
}

/** The results as a Markdown table: readable in a terminal and pasteable into the README. */
export function formatTable(comparisons: Comparison[]): string {
  const lines = [
    '| scenario | Tessera req/s | baseline req/s | ratio | Tessera p50/p99 ms | baseline p50/p99 ms | answer bytes | non-2xx Tessera/baseline |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of comparisons) {
    const t = summary(c.tessera);
    const b = summary(c.baseline);
    lines.push(
      `| ${c.name} | ${rps(t.reqPerSec)} | ${rps(b.reqPerSec)} | ${(t.reqPerSec / b.reqPerSec).toFixed(2)}× | ` +
        `${ms(t.p50)} / ${ms(t.p99)} | ${ms(b.p50)} / ${ms(b.p99)} | ${c.answerBytes} | ` +
        `${failures(c.tessera)} / ${failures(c.baseline)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * A loud banner when any request failed: a 4xx/5xx answers faster than real work, so the
 * figures of such a run flatter the server and must not be quoted. Returns true if invalid.
 */
export function reportFailures(comparisons: Comparison[]): boolean {
  const problems: string[] = [];
  for (const c of comparisons) {
    const t = failures(c.tessera);
    const b = failures(c.baseline);
    if (t) problems.push(`${c.name}: Tessera had ${t} non-2xx/failed requests`);
    if (b) problems.push(`${c.name}: baseline had ${b} non-2xx/failed requests`);
    for (const [server, sample] of Object.entries(c.warmups)) {
      const w = failures([sample]);
      if (w) problems.push(`${c.name}: ${server} had ${w} non-2xx/failed requests in warm-up`);
    }
  }
  if (problems.length === 0) return false;
  const bar = '!'.repeat(78);
  process.stdout.write(
    `\n${bar}\n!!! INVALID RESULTS: figures above must not be quoted.\n` +
      `${problems.map((p) => `!!! ${p}`).join('\n')}\n${bar}\n`,
  );
  return true;
}
