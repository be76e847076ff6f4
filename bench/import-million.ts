import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';

/**
 * `npm run build && npx tsx bench/import-million.ts`: generates an NDJSON file of
 * BENCH_IMPORT_EVENTS events (default 1,000,000) over BENCH_IMPORT_PROFILES people (default
 * 100,000) in a temporary directory, runs `tessera import` on it as a child process (the built
 * CLI, dist/cli.js) and prints time, events/s and peak RSS, with RSS sampled along the run to
 * show that memory does not grow with the file. The baseline, measured in the same run, reads
 * and JSON-parses the same file without applying anything. Finally the stored events are
 * counted against the file.
 */

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const EVENTS = envInt('BENCH_IMPORT_EVENTS', 1_000_000);
const PROFILES = envInt('BENCH_IMPORT_PROFILES', 100_000);
const CLI = join(process.cwd(), 'dist', 'cli.js');
const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** A deterministic generator: every run imports the same file. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function generate(file: string): Promise<void> {
  const out = createWriteStream(file);
  const random = lcg(42);
  const start = Date.UTC(2026, 0, 1);
  const pages = ['/', '/pricing', '/docs', '/blog', '/checkout'];
  for (let n = 0; n < EVENTS; n++) {
    const person = Math.floor(random() * PROFILES);
    const timestamp = new Date(start + n * 1000).toISOString();
    const roll = random();
    // 10 % identify (a known user with traits), 60 % track, 30 % page; a third of the people
    // are still anonymous.
    const who = person % 3 === 0 ? { anonymousId: `anon-${person}` } : { userId: `user-${person}` };
    const event =
      roll < 0.1
        ? {
            type: 'identify',
            userId: `user-${person}`,
            anonymousId: `anon-${person}`,
            traits: { email: `p${person}@example.com`, plan: person % 5 === 0 ? 'pro' : 'free' },
            timestamp,
          }
        : roll < 0.7
          ? {
              type: 'track',
              event: roll < 0.2 ? 'Order Completed' : 'Product Viewed',
              ...who,
              properties: { sku: `sku-${n % 997}`, price: (n % 100) + 0.99 },
              timestamp,
            }
          : {
              type: 'page',
              ...who,
              properties: {
                path: pages[n % pages.length],
                url: `https://shop.example${pages[n % pages.length]}`,
              },
              timestamp,
            };
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Baseline: stream the file and parse every line, applying nothing. */
async function parseOnly(file: string): Promise<number> {
  const started = performance.now();
  let lines = 0;
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Infinity,
  })) {
    if (line) JSON.parse(line);
    lines++;
  }
  return (lines * 1000) / (performance.now() - started);
}

function rssOf(pid: number): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-import-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const file = join(dir, 'events.ndjson');
    const databaseUrl = `sqlite://${join(dir, 'bench.db')}`;
    log(`Generating ${fmt(EVENTS)} events over ${fmt(PROFILES)} people…`);
    await generate(file);
    log(`  ${mb(statSync(file).size)} of NDJSON`);
    const created = spawnSync('node', [CLI, 'keys', 'create', '--database-url', databaseUrl]);
    if (created.status !== 0) throw new Error(`keys create failed: ${created.stderr}`);

    const baseline = await parseOnly(file);
    log(`Baseline (read + JSON.parse, nothing applied): ${fmt(baseline)} lines/s`);

    // The child reports its JS heap every 2 s and its peak RSS (getrusage maxrss) as it exits:
    // RSS also counts SQLite's page cache (64 MiB) and memory-mapped database pages (256 MiB).
    // The child's source code carries template literals of its own, hence the suppressions.
    const reportRss =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: child source code
      'data:text/javascript,setInterval(()=>process.stderr.write(`heap ${process.memoryUsage().heapUsed}\\n`),2000).unref();' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: child source code
      'process.on("exit",()=>process.stderr.write(`maxrss ${process.resourceUsage().maxRSS}\\n`))';
    const started = performance.now();
    const child = spawn(
      'node',
      ['--import', reportRss, CLI, 'import', file, '--database-url', databaseUrl],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const lines = String(chunk).trim().split('\n');
      const last = lines[lines.length - 1];
      if (last?.startsWith('line ')) process.stdout.write(`  ${last}\n`);
    });
    const samples: Array<{ at: number; rss: number }> = [];
    const timer = setInterval(() => {
      const rss = rssOf(child.pid!);
      if (rss !== null) samples.push({ at: performance.now() - started, rss });
    }, 500);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(timer);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`import exited with ${code}:\n${stderr}`);

    const applied = Number(
      stdout.match(/applied\s+([\d,]+)/)?.[1]?.replace(/,/g, '') ?? Number.NaN,
    );
    const maxRss = Number(stderr.match(/maxrss (\d+)/)?.[1] ?? 0) * 1024;
    const db = new BetterSqlite3(join(dir, 'bench.db'), { readonly: true });
    const stored = (db.prepare('select count(*) as n from events').get() as { n: number }).n;
    const profiles = (
      db.prepare('select count(*) as n from profiles where merged_into is null').get() as {
        n: number;
      }
    ).n;
    db.close();

    const heaps = [...stderr.matchAll(/heap (\d+)/g)].map((m) => Number(m[1]));
    const heapQuarter = (q: number) =>
      Math.max(
        0,
        ...heaps.slice(
          Math.floor((q * heaps.length) / 4),
          Math.floor(((q + 1) * heaps.length) / 4),
        ),
      );
    const quarter = (q: number) =>
      Math.max(
        0,
        ...samples
          .filter((s) => s.at >= (q * seconds * 1000) / 4 && s.at < ((q + 1) * seconds * 1000) / 4)
          .map((s) => s.rss),
      );
    const rate = EVENTS / seconds;
    log('');
    log(stdout.trim());
    log('');
    log(
      '| events | time | events/s | baseline lines/s | ratio | peak RSS | RSS max per quarter of the run | JS heap max per quarter |',
    );
    log('|---:|---:|---:|---:|---:|---:|---|---|');
    log(
      `| ${fmt(EVENTS)} | ${seconds.toFixed(0)} s | ${fmt(rate)} | ${fmt(baseline)} | ${(rate / baseline).toFixed(3)}× | ${mb(maxRss)} | ${[0, 1, 2, 3].map((q) => mb(quarter(q))).join(' / ')} | ${[0, 1, 2, 3].map((q) => mb(heapQuarter(q))).join(' / ')} |`,
    );
    log('');
    log(
      `Stored: ${fmt(stored)} events (${stored === applied && applied === EVENTS ? 'all applied, none twice' : `MISMATCH: applied ${applied}`}), ${fmt(profiles)} live profiles. ${cpus().length} cores, Node ${process.version}.`,
    );
  } finally {
    cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
