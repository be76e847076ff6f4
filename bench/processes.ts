import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so `--import tsx` and `src/` resolve. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  /** The server's own pid (node is spawned directly), for /proc figures. */
  pid: number;
  /** Everything the child printed on stdout so far (the admin key and the URL come from here). */
  stdout(): string;
  /** Stops the child (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Every child still alive, so that any way out of the benchmark can kill them. */
const alive = new Set<ChildProcess>();

function killAll(): void {
  for (const child of alive) child.kill('SIGKILL');
  alive.clear();
}

let hooksInstalled = false;

/**
 * Kills the children however the benchmark ends: normal exit, an uncaught error (which exits
 * through 'exit'), or Ctrl-C / SIGTERM (which would otherwise leave servers running).
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Starts `node --import tsx <script> ...args` as its own process (never in the load
 * generator's process, so the two do not share an event loop) and waits until its stdout
 * matches `ready`. Spawning node directly, not npx, means the pid we kill is the server itself.
 */
export async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 30_000,
  /** Run TypeScript through tsx; off for Tessera, which is measured as built (dist/). */
  typescript = true,
): Promise<Child> {
  installExitHooks();
  const child = spawn(process.execPath, [...(typescript ? ['--import', 'tsx'] : []), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  // Forward warnings and errors: with LOG_LEVEL=warn anything here deserves to be seen.
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    process.stderr.write(`[${name}] ${chunk}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => alive.delete(child));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}) before it was ready:\n${out}${err}`));
    });
    check();
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });

  return {
    pid: child.pid!,
    stdout: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The first `http://host:port` a server printed: children listen on port 0 (a free port). */
export function listeningUrl(stdout: string): string {
  const match = /http:\/\/[\d.]+:\d+/.exec(stdout);
  if (!match) throw new Error(`no URL in server output:\n${stdout}`);
  return match[0];
}
