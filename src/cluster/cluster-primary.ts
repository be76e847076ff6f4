import cluster from 'node:cluster';
import os from 'node:os';

/** What a worker tells its primary once its server listens. */
export interface ListeningMessage {
  type: 'tessera:listening';
  url: string;
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'tessera:listening' &&
    typeof (message as { url?: unknown }).url === 'string'
  );
}

/** A worker that lived this long before it died was not crash-looping. */
export const STABLE_MS = 30_000;

/**
 * Delay before forking a replacement, after `quickDeaths` deaths in a row of workers that each
 * lived less than {@link STABLE_MS}: at once after a stable run, then 0.5 s doubling up to 30 s,
 * so a worker that dies on every start does not spin the machine.
 */
export function restartDelayMs(quickDeaths: number): number {
  return quickDeaths <= 0 ? 0 : Math.min(30_000, 500 * 2 ** (quickDeaths - 1));
}

export interface PrimaryOptions {
  workers: number;
  shutdownGraceMs: number;
  logLevel: string;
  /** Called once, when every worker of the first generation listens. */
  onListening(url: string): void;
}

const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

/** JSON lines in the shape the workers' pino logs have, so one log pipeline reads both. */
function primaryLog(logLevel: string): Log {
  const threshold = LEVELS[logLevel] ?? LEVELS.info!;
  const hostname = os.hostname();
  return (level, msg, fields = {}) => {
    const n = LEVELS[level]!;
    if (n < threshold) return;
    const line = { level: n, time: Date.now(), pid: process.pid, hostname, role: 'primary' };
    process.stdout.write(`${JSON.stringify({ ...line, ...fields, msg })}\n`);
  };
}

/**
 * The primary of `serve --workers N`: forks N workers (they share the listening port through
 * node:cluster), forks a replacement when one dies (with a back-off), and on SIGTERM/SIGINT
 * asks every worker to stop gracefully, killing those still running after the grace period.
 * It serves no requests and opens no database: the caller has migrated before.
 */
export function runPrimary(options: PrimaryOptions): void {
  const log = primaryLog(options.logLevel);
  const alive = new Map<number, { startedAt: number }>();
  const listening = new Set<number>();
  const restarts = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork();
    alive.set(worker.id, { startedAt: Date.now() });
    // An IPC failure is reported here; unhandled, it would end the primary. `exit` follows.
    worker.on('error', (err) =>
      log('warn', 'worker error', { worker: worker.id, err: String(err) }),
    );
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return;
      listening.add(worker.id);
      log('info', 'worker listening', { worker: worker.id, workerPid: worker.process.pid });
      if (!started && listening.size >= options.workers) {
        started = true;
        options.onListening(message.url);
      }
    });
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // Workers drain for up to the grace period themselves; this is the backstop.
    const backstop = setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    }, options.shutdownGraceMs + 5_000);
    backstop.unref();
    if (alive.size === 0) process.exit(exitCode);
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (alive.get(worker.id)?.startedAt ?? Date.now());
    alive.delete(worker.id);
    listening.delete(worker.id);
    if (stopping) {
      if (alive.size === 0) process.exit(exitCode);
      return;
    }
    if (!started) {
      // A worker that cannot start (port taken, database unreachable) will not start on retry.
      log('error', 'a worker exited while starting; stopping', { worker: worker.id, code, signal });
      exitCode = 1;
      stop();
      return;
    }
    quickDeaths = lived >= STABLE_MS ? 0 : quickDeaths + 1;
    const delay = restartDelayMs(quickDeaths);
    log('warn', 'worker died; forking a replacement', {
      worker: worker.id,
      workerPid: worker.process.pid,
      code,
      signal,
      restartInMs: delay,
    });
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log('info', 'starting workers', { workers: options.workers });
  for (let i = 0; i < options.workers; i++) fork();
}
