import { failures, median, type Sample } from './load.js';
import type { BenchOptions } from './options.js';
import { mib } from './rss.js';

/** One side of a comparison: something that can be loaded for a number of seconds. */
export interface Side {
  name: string;
  load(seconds: number): Promise<Sample>;
  /** Peak RSS (KiB) of the server process, when the side is a server. */
  peakRssKiB?: () => number;
}

export interface Summary {
  rate: number;
  p50: number;
  p99: number;
  failed: number;
  rssKiB?: number;
}

/** What one scenario measured, as printed in the closing table. */
export interface ResultRow {
  scenario: string;
  a: string;
  b: string;
  unit: string;
  sa: Summary;
  sb: Summary;
  ratio: number;
  target: string;
}

export const results: ResultRow[] = [];

const log = (line: string) => process.stdout.write(`${line}\n`);
// autocannon records latencies in whole milliseconds, so 0 means "under 1 ms", not free.
export const ms = (v: number) => (v === 0 ? '<1' : Number.isInteger(v) ? String(v) : v.toFixed(1));
export const num = (v: number) => Math.round(v).toLocaleString('en-US');

function summarize(samples: Sample[], perRequest: number, side: Side): Summary {
  return {
    rate: median(samples.map((s) => s.reqPerSec)) * perRequest,
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    failed: failures(samples),
    rssKiB: side.peakRssKiB?.(),
  };
}

function runLine(side: string, run: number, s: Sample, perRequest: number, unit: string) {
  const bad = s.non2xx + s.errors + s.timeouts;
  return (
    `    run ${run} ${side.padEnd(22)} ${num(s.reqPerSec * perRequest).padStart(8)} ${unit}  ` +
    `p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms` +
    (bad ? `  FAILED ${bad} ${JSON.stringify(s.statusCodes)} errors ${s.errors}` : '')
  );
}

/**
 * Warms both sides up, then alternates measured runs A, B, A, B…, so that slow drift of a
 * shared machine hits both alike; prints every run, the medians and the ratio A ÷ B.
 */
export async function measurePair(
  options: BenchOptions,
  scenario: string,
  a: Side,
  b: Side,
  report: { unit: string; perRequest?: number; target: string },
): Promise<ResultRow> {
  const perRequest = report.perRequest ?? 1;
  const warmA = await a.load(options.warmup);
  const warmB = await b.load(options.warmup);
  const samplesA: Sample[] = [];
  const samplesB: Sample[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const sa = await a.load(options.duration);
    samplesA.push(sa);
    log(runLine(a.name, run, sa, perRequest, report.unit));
    const sb = await b.load(options.duration);
    samplesB.push(sb);
    log(runLine(b.name, run, sb, perRequest, report.unit));
  }
  const sa = summarize(samplesA, perRequest, a);
  const sb = summarize(samplesB, perRequest, b);
  const row: ResultRow = {
    scenario,
    a: a.name,
    b: b.name,
    unit: report.unit,
    sa,
    sb,
    ratio: sa.rate / sb.rate,
    target: report.target,
  };
  results.push(row);
  const rss = (s: Summary) => (s.rssKiB ? `  peak RSS ${mib(s.rssKiB)}` : '');
  log(
    `  ${a.name}: ${num(sa.rate)} ${report.unit}, p50 ${ms(sa.p50)} ms, p99 ${ms(sa.p99)} ms${rss(sa)}`,
  );
  log(
    `  ${b.name}: ${num(sb.rate)} ${report.unit}, p50 ${ms(sb.p50)} ms, p99 ${ms(sb.p99)} ms${rss(sb)}`,
  );
  log(`  ${scenario}: ratio ${row.ratio.toFixed(2)}× (target ${report.target})`);
  const empty = [...samplesA, ...samplesB].filter((s) => s.ok === 0).length;
  if (empty > 0)
    log(
      `  !!! INVALID: ${empty} run(s) completed no request (each took longer than the run): use a longer --duration.`,
    );
  const warmFailures = failures([warmA]) + failures([warmB]);
  if (sa.failed + sb.failed + warmFailures > 0)
    log(`  !!! INVALID: ${sa.failed + sb.failed + warmFailures} failed requests; do not quote.`);
  return row;
}

/** The closing table, in Markdown, ready for bench/README.md. */
export function formatResults(rows: ResultRow[]): string {
  const lines = [
    '| scenario | A | B | A | B | ratio A÷B | target | A p50/p99 ms | B p50/p99 ms | A / B peak RSS | failed A/B |',
    '|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const rss = (s: Summary) => (s.rssKiB ? mib(s.rssKiB) : '–');
    lines.push(
      `| ${r.scenario} | ${r.a} | ${r.b} | ${num(r.sa.rate)} ${r.unit} | ${num(r.sb.rate)} ${r.unit} | ` +
        `${r.ratio.toFixed(2)}× | ${r.target} | ${ms(r.sa.p50)} / ${ms(r.sa.p99)} | ` +
        `${ms(r.sb.p50)} / ${ms(r.sb.p99)} | ${rss(r.sa)} / ${rss(r.sb)} | ${r.sa.failed} / ${r.sb.failed} |`,
    );
  }
  return lines.join('\n');
}
