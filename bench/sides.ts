import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Side } from './compare.js';
import { type LoadRequest, runLoad } from './load.js';
import type { BenchOptions } from './options.js';
import { type ProcessStats, processStats } from './proc.js';
import { type Child, listeningUrl, startChild } from './processes.js';

/** A side that is an HTTP server loaded by autocannon with `request`. */
export function httpSide(
  name: string,
  options: BenchOptions,
  url: string,
  request: LoadRequest,
  headers: Record<string, string>,
  server?: ProcessStats,
): Side {
  return {
    name,
    load: (seconds) => runLoad(url, request, headers, options.connections, seconds),
    peakRssKiB: server?.peakRssKiB,
    cpuMs: server?.cpuMs,
  };
}

export interface Baseline extends ProcessStats {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the bare-Fastify baseline answering `answer` (Tessera's own answer, captured), so both
 * servers send the same bytes.
 */
export async function startBaseline(dir: string, name: string, answer: string): Promise<Baseline> {
  const file = join(dir, `answer-${name}.json`);
  writeFileSync(file, answer);
  const child: Child = await startChild(
    'baseline',
    ['bench/baseline-server.ts'],
    { PORT: '0', LOG_LEVEL: 'warn', BASELINE_ANSWER_FILE: file },
    /listening on http/,
  );
  return {
    url: listeningUrl(child.stdout()),
    ...processStats(child.pid),
    stop: () => child.stop(),
  };
}
