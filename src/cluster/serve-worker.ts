import type { Config } from '../config/config.js';
import { type RunningServer, startServer } from '../server.js';
import type { ListeningMessage } from './cluster-primary.js';

/**
 * On SIGTERM or SIGINT: stop accepting, drain in-flight requests, close the database, exit 0.
 * Both signals may arrive (Ctrl-C reaches every process of the group, and a primary that stops
 * sends SIGTERM too); `stop()` runs once.
 */
export function exitOnSignals(server: RunningServer): void {
  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/**
 * A worker of `serve --workers N`: its primary has migrated the database and created the
 * default tenant, so it only opens its own storage (its own SQLite connection, writer and
 * checkpointer, or its own PostgreSQL pool), listens on the shared port and reports in.
 */
export async function serveWorker(config: Config, warn: (message: string) => void): Promise<void> {
  const server = await startServer(config, () => undefined, warn, { prepared: true });
  exitOnSignals(server);
  const message: ListeningMessage = { type: 'tessera:listening', url: server.url };
  process.send?.(message);
}
