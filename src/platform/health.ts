import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Storage } from '../storage/storage.js';

/**
 * `/healthz`: the process is alive. `/readyz`: it can serve (the database answers and it is
 * not shutting down); load balancers stop sending traffic as soon as it says 503.
 */
export function registerHealthRoutes(app: FastifyInstance, storage: Storage): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (closing) return reply.status(503).send({ status: 'closing' });
    try {
      await sql`select 1`.execute(storage.db);
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
}
