import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Newest modification time of the TypeScript sources under `dir`, ms. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync('dist/cli.js').mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Makes sure `dist/` is built from the current sources (CI builds before testing; locally this
 * builds when a source is newer). Process tests run the built CLI: through tsx, each of a
 * cluster's processes would spend seconds of CPU compiling. A lock directory keeps two test
 * files from building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = path.join(
    tmpdir(),
    `tessera-build-${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12)}.lock`,
  );
  const deadline = Date.now() + 120_000;
  while (builtAt() < newestSource('src')) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is held: remove it if no build runs`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (builtAt() < newestSource('src'))
        await run(process.execPath, [
          'node_modules/typescript/bin/tsc',
          '-p',
          'tsconfig.build.json',
        ]);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * A real `tessera serve` process, from the built CLI (see {@link ensureBuilt}). Its stdout and
 * stderr are kept.
 */
export interface ServerProcess {
  child: ChildProcess;
  /** Everything the process (and its workers) printed so far. */
  output: { text: string };
  url: string;
  /** The first admin key, when this start printed one. */
  adminKey: string | undefined;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  exited: Promise<number | null>;
}

/** A master key for test processes: without one, the CLI would write `data/master.key` here. */
export const TEST_MASTER_KEY = randomBytes(32).toString('base64');

export async function startServerProcess(options: {
  args?: string[];
  env: Record<string, string>;
  /** Longest wait for the "listening" line (starting real processes is slow on a busy box). */
  timeoutMs?: number;
}): Promise<ServerProcess> {
  await ensureBuilt();
  const child = spawn(
    process.execPath,
    ['dist/cli.js', 'serve', '--port', '0', ...(options.args ?? [])],
    { env: { ...process.env, TESSERA_MASTER_KEY: TEST_MASTER_KEY, ...options.env } },
  );
  const output = { text: '' };
  const append = (chunk: Buffer) => {
    output.text += chunk.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.text.match(pattern);
        if (!match) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        resolve(match);
      };
      const timer = setTimeout(() => {
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        reject(new Error(`timed out waiting for ${pattern}:\n${output.text.slice(-4000)}`));
      }, timeoutMs);
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      check();
    });
  const listening = waitFor(/Tessera listening on (http:\/\/\S+) /, options.timeoutMs ?? 45_000);
  const [, url] = await Promise.race([
    listening,
    exited.then((code) => {
      throw new Error(`server exited (${code}) before listening:\n${output.text.slice(-4000)}`);
    }),
  ]);
  const adminKey = output.text.match(/Admin API key[^\n]*\n\s*\n\s*(tsk_\S+)/)?.[1];
  return { child, output, url: url!, adminKey, waitFor, exited };
}

export interface RawResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  body: any;
}

/**
 * One request on a connection of its own (no keep-alive), so that node:cluster hands
 * successive requests to different workers; `fetch` would reuse one connection.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  contentType = 'application/json',
): Promise<RawResponse> {
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (payload !== undefined) {
    headers['content-type'] = contentType;
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
