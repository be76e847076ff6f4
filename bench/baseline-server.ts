import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

/**
 * The baseline: a bare Fastify 5 server (no plugins, no hooks, no schemas) that stands in for
 * Tessera on the same requests. It is run as its own process.
 *
 * BASELINE_ANSWER_FILE holds the exact JSON Tessera answered for the scenario being measured;
 * every route answers that object, serialized per request (as Tessera serializes per request),
 * so the bytes on the wire are the same and the ratio measures only Tessera's own work.
 */
const answer: unknown = JSON.parse(readFileSync(process.env.BASELINE_ANSWER_FILE!, 'utf8'));

// Same logger level as Tessera's child, so both pay the same per-request logger cost.
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });

// POST parses the JSON body with Fastify's default parser, like Tessera's, and touches the
// first event so the parsed body is really used. A parametric route, like Tessera's.
app.post<{ Body: { events?: Array<{ messageId?: string }> } }>('/*', async (request, reply) => {
  if (!request.body?.events?.[0]?.messageId) return reply.status(400).send({ error: 'no event' });
  return answer;
});

app.get('/*', async () => answer);

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`Baseline listening on ${url}\n`);

// Stopped with SIGTERM; close cleanly so the port is released at once.
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
