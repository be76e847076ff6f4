import { randomUUID } from 'node:crypto';
import autocannon, { type Request } from 'autocannon';

/** One HTTP request shape to hammer a server with; the same shape is sent to both servers. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  /** When set, requests take these paths in turn instead of `path` (several known profiles). */
  paths?: string[];
  /** Builds a fresh body for every request (a new messageId each time). */
  body?: () => string;
}

/** The figures of one autocannon run. Latencies are autocannon's, in ms. */
export interface Sample {
  reqPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  /** Requests sent; at the end of a run a few are still in flight, unanswered but sent. */
  sent: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

// A per-process prefix plus a counter: cheap to build, never repeated within a benchmark,
// and distinct from any earlier benchmark's ids, so Tessera never de-duplicates an event.
const idPrefix = randomUUID();
let idCounter = 0;

/** A unique messageId for every call, across connections, runs and servers. */
export function nextMessageId(): string {
  idCounter += 1;
  return `${idPrefix}-${idCounter}`;
}

/** Runs autocannon once against `baseUrl` for `seconds` and reduces its result to a Sample. */
export async function runLoad(
  baseUrl: string,
  scenario: LoadRequest,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<Sample> {
  const request: Request = {
    method: scenario.method,
    path: scenario.path,
    headers: scenario.body ? { ...headers, 'content-type': 'application/json' } : headers,
  };
  const { body: makeBody, paths } = scenario;
  let sent = 0;
  // autocannon rebuilds the request before each send when setupRequest is set; the body is
  // rewritten there so every request carries its own messageId, and the path takes its turn.
  if (makeBody || paths)
    request.setupRequest = (req) => ({
      ...req,
      ...(paths ? { path: paths[sent++ % paths.length] } : {}),
      ...(makeBody ? { body: makeBody() } : {}),
    });
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    // A slow answer is a slow answer, not an error: 200-event batches at 50 connections can
    // take seconds on a busy machine, beyond autocannon's default 10 s timeout.
    timeout: 60,
    requests: [request],
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats)) statusCodes[code] = stat.count;
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    sent: result.requests.sent,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Anything that makes a run's figures meaningless: a failed request is not a fast request. */
export function failures(samples: Sample[]): number {
  return samples.reduce((n, s) => n + s.non2xx + s.errors + s.timeouts, 0);
}
