import BetterSqlite3 from 'better-sqlite3';
import { startTestServer } from '../test/helpers/test-server.js';
import { ingestBody, personalizeBody, personalizePath } from './bodies.js';

/**
 * `npx tsx bench/trace-statements.ts`: the SQL statements one request of each hot scenario
 * runs (SQLite), counted by statement text, in process. Fewer statements per request is the
 * first lever on the hot path; this shows what they are.
 */
const counts = new Map<string, number>();
const micros = new Map<string, number>();
const probe = new BetterSqlite3(':memory:').prepare('select 1');
const proto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => unknown>;
for (const method of ['run', 'get', 'all', 'iterate'] as const) {
  const original = proto[method]!;
  proto[method] = function (this: { source: string }, ...args: unknown[]) {
    counts.set(this.source, (counts.get(this.source) ?? 0) + 1);
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      micros.set(this.source, (micros.get(this.source) ?? 0) + (performance.now() - t0) * 1000);
    }
  };
}

const server = await startTestServer();
const ok = async (method: string, path: string, body?: unknown) => {
  const res = await server.request(method, path, body);
  if (res.status >= 300)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
for (let i = 0; i < 3; i++) {
  await ok('PUT', `/v1/audiences/a${i}`, {
    name: `a${i}`,
    rule: { trait: 'plan', op: 'equals', value: 'pro' },
  });
  await ok('POST', `/v1/audiences/a${i}/publish`);
}
await ok('POST', '/v1/experiences', {
  id: 'e0',
  type: 'personalization',
  audienceId: 'a0',
  trafficAllocation: 1,
  distribution: [0, 1],
  components: [{ baselineId: 'x', variantIds: ['y'] }],
  priority: 1,
});
await ok('POST', '/v1/experiences/e0/publish');
const created = await ok('POST', '/v1/profiles/userId:trace/events', {
  events: [{ type: 'identify', traits: { plan: 'pro' } }],
});
const profileId = created.profile.id as string;

async function trace(label: string, send: () => Promise<unknown>, times = 5) {
  await send(); // warm caches first
  counts.clear();
  micros.clear();
  for (let i = 0; i < times; i++) await send();
  const lines = [...counts].sort((a, b) => b[1] - a[1]);
  const total = lines.reduce((n, [, c]) => n + c, 0) / times;
  const spent = [...micros.values()].reduce((a, b) => a + b, 0) / times;
  process.stdout.write(
    `\n${label}: ${total} statements, ${spent.toFixed(0)} µs in SQLite per request\n`,
  );
  for (const [sql, c] of lines)
    process.stdout.write(
      `  ${(c / times).toFixed(1).padStart(5)} × ${((micros.get(sql) ?? 0) / c).toFixed(0).padStart(5)} µs  ${sql.replace(/\s+/g, ' ').slice(0, 140)}\n`,
    );
}

await trace('personalize', () =>
  fetch(server.url + personalizePath(profileId), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: personalizeBody(),
  }).then((r) => r.text()),
);
await trace('read', () => ok('GET', '/v1/profiles/userId:trace'));
// 50 batches first, so that the traced ones update existing profiles (the steady state).
for (let i = 0; i < 50; i++) await ok('POST', '/v1/events', JSON.parse(ingestBody()));
await trace(
  'ingest (200 events, 50 profiles)',
  () => ok('POST', '/v1/events', JSON.parse(ingestBody())),
  2,
);
await server.destroy();
