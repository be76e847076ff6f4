import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON
  json: any;
}

/** A real HTTP listener on 127.0.0.1 that records what it receives and answers as told. */
export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Per path: the status (and headers) of the next answers, in order; then 200. */
  answers: Map<string, Array<{ status: number; headers?: Record<string, string> }>>;
  /** Queues answers for one path. */
  answer(
    path: string,
    ...answers: Array<{ status: number; headers?: Record<string, string> }>
  ): void;
  /** Leaves the requests to `path` unanswered (a receiver that hangs) until `release`. */
  hold(path: string): void;
  /** Answers the held requests to `path`, and those that come later at once. */
  release(path: string): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: WebhookReceiver['answers'] = new Map();
  const held = new Map<string, Array<() => void>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // not JSON
      }
      received.push({ path: req.url ?? '', headers: req.headers, body, json });
      const answer = answers.get(req.url ?? '')?.shift() ?? { status: 200 };
      const send = () => res.writeHead(answer.status, answer.headers).end('ok');
      const waiting = held.get(req.url ?? '');
      if (waiting) waiting.push(send);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    answers,
    answer: (path, ...queued) => answers.set(path, [...(answers.get(path) ?? []), ...queued]),
    hold: (path) => held.set(path, held.get(path) ?? []),
    release: (path) => {
      const waiting = held.get(path) ?? [];
      held.delete(path);
      for (const send of waiting) send();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 8000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
