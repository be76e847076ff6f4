import http from 'node:http';
import https from 'node:https';
import { checkTargetUrl, guardedLookup, type Resolver, systemResolver } from './target-guard.js';

export interface SendResult {
  /** Null when no HTTP answer came (refused target, timeout, connection error). */
  statusCode: number | null;
  durationMs: number;
  /** A short reason for a failure, never the receiver's body. */
  error: string | null;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  resolver?: Resolver;
}

/**
 * One POST of a signed webhook. The target is checked again (its form, then every DNS answer,
 * inside the socket's own lookup, so the connection goes to the address that was checked).
 * Redirects are never followed: Node's http client does not follow them, and a 3xx counts as a
 * failed attempt. The response body is read and dropped, at most 64 KiB.
 */
export function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = checkTargetUrl(url, options.allowPrivateTargets);
  } catch (error) {
    return Promise.resolve({
      statusCode: null,
      durationMs: elapsed(),
      error: `target refused: ${(error as Error).message}`,
    });
  }
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, durationMs: elapsed() });
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Tessera-Webhooks/1',
        },
        lookup: guardedLookup(
          options.allowPrivateTargets,
          options.resolver ?? systemResolver,
        ) as unknown as http.RequestOptions['lookup'],
        timeout: options.timeoutMs,
        agent: false,
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 65_536) response.destroy();
        });
        const statusCode = response.statusCode ?? 0;
        const ok = statusCode >= 200 && statusCode < 300;
        const done = () =>
          finish({
            statusCode,
            error: ok
              ? null
              : statusCode >= 300 && statusCode < 400
                ? `redirect (${statusCode}) not followed`
                : `HTTP ${statusCode}`,
          });
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    // The whole attempt, not only idle time, is bounded.
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on('timeout', () =>
      request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)),
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ETARGETREFUSED' ? `target refused: ${error.message}` : error.message;
      finish({ statusCode: null, error: reason.slice(0, 300) });
    });
    request.on('close', () => clearTimeout(timer));
    request.end(body);
  });
}
