import type { FreshDatabase } from './databases.js';
import { type ProcessStats, processStats } from './proc.js';
import { type Child, listeningUrl, startChild } from './processes.js';

/** A Tessera process under test, with a key sized for a benchmark. */
export interface Tessera extends ProcessStats {
  url: string;
  /** `authorization` header of a read/write key with a benchmark-sized rate limit. */
  auth: Record<string, string>;
  /** Admin header, for defining audiences and experiences. */
  admin: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** `serve --workers N`; omitted: one process, like the bare Fastify baseline. */
  workers?: number;
  /** Keys from an earlier start on the same database (the first start prints the admin key). */
  keys?: { admin: string; bench: string };
  /** `--cpu-prof` into this directory (written when the process exits on SIGTERM). */
  cpuProfDir?: string;
  /** `--max-old-space-size` (MiB); workers inherit it. */
  maxHeapMiB?: number;
  /** The built CLI to run (default `dist/cli.js`): another build, to compare two (see ab.ts). */
  cli?: string;
}

/**
 * Starts Tessera as built (`dist/cli.js serve`) on `db`, as its own process on a free port.
 * Logs at `warn`, so per-request logging costs what it costs in production at that level.
 */
export async function startTessera(
  db: FreshDatabase,
  options: StartOptions = {},
): Promise<Tessera> {
  const args = [
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
    ...(options.maxHeapMiB ? [`--max-old-space-size=${options.maxHeapMiB}`] : []),
    options.cli ?? 'dist/cli.js',
    'serve',
    '--workers',
    String(options.workers ?? 1),
  ];
  const child: Child = await startChild(
    'tessera',
    args,
    {
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
      // The Experience API's per-address bucket uses the default policy, and every request of
      // the benchmark comes from 127.0.0.1: at the default 100/s it would measure 429s.
      TESSERA_RATE_LIMIT_PER_SECOND: '100000',
      TESSERA_RATE_LIMIT_BURST: '1000000',
    },
    /listening on http/,
    60_000,
    false,
  );
  try {
    const url = listeningUrl(child.stdout());
    const adminKey = options.keys?.admin ?? /tsk_[A-Za-z0-9_-]+/.exec(child.stdout())?.[0];
    if (!adminKey) throw new Error(`no admin key in Tessera's output:\n${child.stdout()}`);
    const admin = { authorization: `Bearer ${adminKey}` };
    const bench = options.keys?.bench ?? (await benchKey(url, admin));
    return {
      url,
      auth: { authorization: `Bearer ${bench}` },
      admin,
      pid: child.pid,
      ...processStats(child.pid),
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** The keys of a running Tessera, to start it again on the same database. */
export function keysOf(t: Tessera): { admin: string; bench: string } {
  const strip = (h: Record<string, string>) => h.authorization!.replace(/^Bearer /, '');
  return { admin: strip(t.admin), bench: strip(t.auth) };
}

/**
 * A read/write key whose token bucket is sized for a benchmark: the default (100 requests/s
 * per credential) would turn the measurement into a measurement of 429s.
 */
async function benchKey(url: string, admin: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/v1/credentials`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench',
      scopes: ['read', 'write'],
      settings: { rateLimit: { ratePerSecond: 100_000, burst: 1_000_000 } },
    }),
  });
  if (res.status !== 201)
    throw new Error(`could not create the bench key: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}

/** One plain request (outside the load generator); anything but 2xx throws. */
export async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<string> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text;
}
