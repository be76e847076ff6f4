import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Turns } from '../lib/turns.js';

/** Bodies smaller than this are never held: cheap to work on, holding them would add latency. */
export const LARGE_BODY_BYTES = 16 * 1024;

/**
 * Bounds the bytes of large request bodies (event batches, imports) a process works on at once.
 * A request whose body would take the total past `budgetBytes` waits once its body has arrived
 * and been parsed, before it is validated and worked on, in the order bodies arrived; it holds its
 * share until its response is finished or its connection closes. A body larger than the whole
 * budget, or of unknown length (chunked), waits for all of it and is worked on alone. Small
 * bodies and GETs pass at once.
 *
 * Why: every batch in flight holds its events, its profiles' work and its rows until the last of
 * its group transactions commits, and those objects outlive young-generation collections. Fifty
 * clients posting 200-event (35 KB) batches at once cost more CPU per event than the same load
 * worked on 512 KiB at a time (ingest benchmark, PostgreSQL, alternating A/B: 9,068 →
 * 12,788 events/s, 100 → 71 µs per event, p99 1.6 → 1.3 s, peak RSS 222 → 205 MiB; on SQLite
 * about the same events/s, peak RSS 286 → 275 MiB; 256 KiB did no better).
 *
 * Not before the body is read: a client that sends its body slowly (or never finishes it) would
 * then hold a share of the budget meanwhile, and with a few such requests stop every other
 * client's batches.
 */
export function registerBodyAdmission(app: FastifyInstance, budgetBytes: number): void {
  if (budgetBytes <= 0) return;
  const budget = new Turns(budgetBytes);
  // Measured before a surface's decompression removes the Content-Length header.
  const shares = new WeakMap<FastifyRequest, number>();
  // Written with `done`, not async: they run for every request, GETs included.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const share = bodyShare(request.headers, budgetBytes);
    if (share > 0) shares.set(request, share);
    done(null, payload);
  });
  app.addHook('preValidation', (request, reply, done) => {
    const share = shares.get(request);
    if (share === undefined) return done();
    // A client gone already, or while in line, is not worked for: nobody would get the answer,
    // and its work would not count against the budget.
    if (reply.raw.closed) return;
    let held = false;
    let closed = false;
    // Attached before waiting: a client that gives up while in line gives its share back at once.
    reply.raw.once('close', () => {
      closed = true;
      if (held) budget.release(share);
    });
    void budget.acquire(share).then(() => {
      if (closed) return budget.release(share);
      held = true;
      done();
    });
  });
}

/** The part of the budget a request holds: 0 for a small body or none, at most the whole budget. */
export function bodyShare(headers: IncomingHttpHeaders, budgetBytes: number): number {
  const length = headers['content-length'];
  if (length === undefined) return headers['transfer-encoding'] ? budgetBytes : 0;
  const bytes = Number(length);
  if (!(bytes >= LARGE_BODY_BYTES)) return 0;
  return Math.min(bytes, budgetBytes);
}
