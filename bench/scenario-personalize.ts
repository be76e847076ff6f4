import { personalizeBody, personalizePath } from './bodies.js';
import { measurePair, type Side } from './compare.js';
import type { LoadRequest } from './load.js';
import type { BenchOptions } from './options.js';
import { prepareTessera } from './setup.js';
import { httpSide, startBaseline } from './sides.js';
import { call, type Tessera } from './tessera-server.js';

/**
 * Scenario 1: one `page` event for a known profile through the Experience API v2 (Tessera's
 * personalize path: the answer is the profile with its experiences and variable changes), with
 * 20 audiences and 10 experiences published.
 */
export function personalizeSide(
  name: string,
  options: BenchOptions,
  t: Tessera,
  profileIds: string | string[],
): Side {
  return httpSide(name, options, t.url, personalizeRequest(profileIds), {}, t);
}

/** The personalize request, over one profile or several in turn. */
function personalizeRequest(profileIds: string | string[]): LoadRequest {
  const ids = typeof profileIds === 'string' ? [profileIds] : profileIds;
  return {
    method: 'POST',
    path: personalizePath(ids[0]!),
    paths: ids.length > 1 ? ids.map(personalizePath) : undefined,
    body: personalizeBody,
  };
}

/** One personalize answer (for the baseline to send the same bytes, and as a check). */
export async function personalizeAnswer(t: Tessera, profileId: string): Promise<string> {
  const answer = await call(t.url, 'POST', personalizePath(profileId), {}, personalizeBody());
  const parsed = JSON.parse(answer) as { data?: { experiences?: unknown[]; changes?: unknown[] } };
  if (!parsed.data?.experiences?.length || !parsed.data.changes?.length)
    throw new Error(`personalize answered no experiences or changes: ${answer.slice(0, 500)}`);
  return answer;
}

export async function personalizeScenario(options: BenchOptions, dir: string): Promise<void> {
  process.stdout.write(
    `\npersonalize: POST /v2/…/profiles/:id, one page event (20 audiences, 10 experiences), over ${options.knownProfiles} known profile(s), vs bare Fastify\n`,
  );
  const p = await prepareTessera(options, dir, 'personalize');
  try {
    await personalizeSide('warm', options, p.t, p.knownIds).load(options.warmup);
    const answer = await personalizeAnswer(p.t, p.profileId);
    process.stdout.write(`  answer: ${Buffer.byteLength(answer)} bytes\n`);
    const baseline = await startBaseline(dir, 'personalize', answer);
    try {
      await measurePair(
        options,
        'personalize',
        personalizeSide('Tessera', options, p.t, p.knownIds),
        httpSide(
          'bare Fastify',
          options,
          baseline.url,
          personalizeRequest(p.knownIds),
          {},
          baseline,
        ),
        { unit: 'req/s', target: '≥ 0.5×, p99 ≤ 10 ms' },
      );
    } finally {
      await baseline.stop();
    }
  } finally {
    await p.stop();
  }
}
