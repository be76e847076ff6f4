import { measurePair, type Side } from './compare.js';
import type { BenchOptions } from './options.js';
import { BENCH_USER, prepareTessera } from './setup.js';
import { httpSide, startBaseline } from './sides.js';
import { call, type Tessera } from './tessera-server.js';

const path = `/v1/profiles/userId:${BENCH_USER}`;

/** Scenario 2: `GET /v1/profiles/userId:bench-user` with a read key. */
export function readSide(name: string, options: BenchOptions, t: Tessera): Side {
  return httpSide(name, options, t.url, { method: 'GET', path }, t.auth, t);
}

export async function readScenario(options: BenchOptions, dir: string): Promise<void> {
  process.stdout.write(`\nread: GET ${path} vs bare Fastify GET of the same JSON\n`);
  const p = await prepareTessera(options, dir, 'read');
  try {
    await readSide('warm', options, p.t).load(options.warmup);
    const answer = await call(p.t.url, 'GET', path, p.t.auth);
    process.stdout.write(`  answer: ${Buffer.byteLength(answer)} bytes\n`);
    const baseline = await startBaseline(dir, 'read', answer);
    try {
      await measurePair(
        options,
        'read',
        readSide('Tessera', options, p.t),
        httpSide('bare Fastify', options, baseline.url, { method: 'GET', path }, {}, baseline),
        { unit: 'req/s', target: '≥ 0.7×, p99 ≤ 5 ms' },
      );
    } finally {
      await baseline.stop();
    }
  } finally {
    await p.stop();
  }
}
