import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportProgress, exportUnits } from '../../src/modules/bulk/export-runner.js';
import { DefinitionService } from '../../src/modules/personalization/definition-service.js';
import { PersonalizationService } from '../../src/modules/personalization/personalization-service.js';
import { ProfileQueryService } from '../../src/modules/profiles/profile-query-service.js';
import { ProfileRepository } from '../../src/modules/profiles/profile-repository.js';
import { presentEvent, presentProfile } from '../../src/surfaces/native/native-presenters.js';
import {
  startTestServer,
  type TestResponse,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

/** A raw request with any body and content type (the helper only sends JSON). */
async function post(
  s: TestServer,
  p: string,
  body: string,
  contentType: string,
  key = s.adminKey,
): Promise<TestResponse> {
  const res = await fetch(`${s.url}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** Polls a job's status until it is done or failed. */
async function settle(s: TestServer, p: string, key = s.adminKey, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await s.request('GET', p, undefined, key);
    expect(res.status).toBe(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline)
      throw new Error(`job still ${res.body.status}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ndjson(count: number, prefix: string, from = 0): string {
  const lines: string[] = [];
  for (let n = from; n < from + count; n++) {
    lines.push(
      JSON.stringify(
        n % 4 === 0
          ? {
              type: 'identify',
              userId: `${prefix}-${n % 50}`,
              traits: { tier: n % 8 === 0 ? 'gold' : 'silver' },
            }
          : { type: 'track', event: 'Clicked', userId: `${prefix}-${n % 50}`, properties: { n } },
      ),
    );
  }
  return lines.join('\n');
}

describe('import jobs', () => {
  it('imports an NDJSON body as a job, with progress counts and bad lines by number', async () => {
    const body = `${ndjson(300, 'nd')}\nnot json\n${JSON.stringify({ type: 'track', event: 'x' })}\n`;
    const created = await post(server, '/v1/imports', body, 'application/x-ndjson');
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'queued',
      statusUrl: `/v1/imports/${created.body.id}`,
    });
    expect(created.headers.get('location')).toBe(created.body.statusUrl);
    const done = await settle(server, created.body.statusUrl);
    expect(done).toMatchObject({
      status: 'done',
      format: 'ndjson',
      progress: { lines: 302, applied: 300, duplicates: 0, rejected: 2 },
      errors: [
        { line: 301, reason: expect.stringMatching(/^invalid JSON/) },
        { line: 302, reason: expect.stringMatching(/names no profile/) },
      ],
    });
    const profile = await server.request('GET', '/v1/profiles/userId:nd-0');
    expect(profile.status).toBe(200);
    expect(profile.body.traits.tier).toBe('gold');

    // Posting the same body again applies nothing twice.
    const again = await post(server, '/v1/imports', body, 'application/x-ndjson');
    expect((await settle(server, again.body.statusUrl)).progress).toMatchObject({
      applied: 0,
      duplicates: 300,
    });
    // A raw NUL byte: refused whole (it is stored as text before any line is read).
    for (const [text, type] of [
      ['{"type":"track","event":"x","userId":"a\u0000b"}\n', 'application/x-ndjson'],
      ['userId,name\nimp2,A\u0000B\n', 'text/csv'],
    ] as const) {
      const nul = await post(server, '/v1/imports', text, type);
      expect(nul.status, type).toBe(400);
    }
  });

  it('imports a JSON {events} body and a CSV body with a column map', async () => {
    const json = await server.request('POST', '/v1/imports', {
      events: [{ type: 'identify', userId: 'js-1', traits: { name: 'Jay' } }],
    });
    expect(json.status).toBe(202);
    expect((await settle(server, json.body.statusUrl)).progress.applied).toBe(1);

    const csv = 'Email,Customer ID,Name\nc1@example.com,csv-1,Cee\nc2@example.com,csv-2,Dee\n';
    const map = encodeURIComponent('Email=traits.email,Customer ID=userId,Name=traits.name');
    const created = await post(server, `/v1/imports?map=${map}`, csv, 'text/csv; charset=utf-8');
    expect(created.status).toBe(202);
    const done = await settle(server, created.body.statusUrl);
    expect(done).toMatchObject({ format: 'csv', progress: { applied: 2, rejected: 0 } });
    expect(done.map).toBe('Email=traits.email,Customer ID=userId,Name=traits.name');
    const profile = await server.request('GET', '/v1/profiles/userId:csv-2');
    expect(profile.body.traits).toMatchObject({ email: 'c2@example.com', name: 'Dee' });
  });

  it('refuses bad input before queueing anything', async () => {
    const missing = await post(
      server,
      '/v1/imports?map=mail%3Dtraits.email',
      'email\nx\n',
      'text/csv',
    );
    expect(missing.status).toBe(400);
    expect(missing.body.title).toMatch(/not in the CSV header: mail/);
    const reserved = await post(server, '/v1/imports', 'userId,a.__proto__.x\nu,1\n', 'text/csv');
    expect(reserved.status).toBe(400);
    expect(reserved.body.title).toMatch(/reserved key "__proto__"/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect((await post(server, '/v1/imports', '  \n', 'application/x-ndjson')).status).toBe(400);
    expect((await server.request('POST', '/v1/imports', { nope: [] })).status).toBe(400);
    expect((await post(server, '/v1/imports', 'a,b', 'text/tab-separated-values')).status).toBe(
      415,
    );
  });
});

describe('export jobs', () => {
  it('exports profiles filtered by a published audience and by a rule, then serves the data', async () => {
    await server.request('POST', '/v1/audiences', {
      id: 'gold',
      name: 'Gold',
      rule: { trait: 'tier', op: 'equals', value: 'gold' },
    });
    expect((await server.request('POST', '/v1/audiences/gold/publish')).status).toBe(200);

    const byAudience = await server.request('POST', '/v1/exports', {
      what: 'profiles',
      audience: 'gold',
    });
    expect(byAudience.status).toBe(202);
    const done = await settle(server, byAudience.body.statusUrl);
    expect(done).toMatchObject({ status: 'done', what: 'profiles', audience: 'gold' });
    expect(done.dataUrl).toBe(`/v1/exports/${byAudience.body.id}/data`);
    const res = await fetch(`${server.url}${done.dataUrl}`, {
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const profiles = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(profiles.length).toBe(done.progress.profiles);
    expect(profiles.length).toBeGreaterThan(0);
    expect(profiles.every((p) => p.traits.tier === 'gold')).toBe(true);
    expect(done.progress.scanned).toBeGreaterThan(profiles.length);

    const byRule = await server.request('POST', '/v1/exports', {
      what: 'both',
      rule: { trait: 'name', op: 'equals', value: 'Dee' },
    });
    const ruleDone = await settle(server, byRule.body.statusUrl);
    const lines = (await server.request('GET', ruleDone.dataUrl)).body as string;
    const parsed = lines
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parsed[0].profile.traits.name).toBe('Dee');
    expect(parsed.slice(1).map((l) => l.event.type)).toEqual(['identify']);
    expect(ruleDone.progress).toMatchObject({ profiles: 1, events: 1 });

    // Deleting drops the data.
    expect((await server.request('DELETE', byRule.body.statusUrl)).status).toBe(204);
    expect((await server.request('GET', byRule.body.statusUrl)).status).toBe(404);
  });

  it('refuses a draft audience and an invalid rule', async () => {
    await server.request('POST', '/v1/audiences', {
      id: 'draft',
      name: 'Draft',
      rule: { trait: 'tier', op: 'exists' },
    });
    const draft = await server.request('POST', '/v1/exports', { audience: 'draft' });
    expect(draft.status).toBe(400);
    expect((await server.request('POST', '/v1/exports', { audience: 'missing' })).status).toBe(404);
    const rule = await server.request('POST', '/v1/exports', { rule: { trait: 'x', op: 'nope' } });
    expect(rule.status).toBe(400);
    expect(rule.body.errors[0].field).toMatch(/^rule/);
  });
});

describe('export checkpoints', () => {
  it('an export resumed from any checkpoint writes exactly the lines of an uninterrupted one', async () => {
    const repo = new ProfileRepository(server.storage, 50);
    const personalization = new PersonalizationService(server.storage.db);
    const deps = {
      queries: new ProfileQueryService(repo),
      events: repo.events,
      personalization,
      definitions: new DefinitionService(server.storage.db, () => undefined),
    };
    const presenter = { profile: presentProfile, event: presentEvent };
    const { environment_id: env } = await server.storage.db
      .selectFrom('profiles')
      .select('environment_id')
      .limit(1)
      .executeTakeFirstOrThrow();
    const spec = { what: 'both' as const };
    const units: Array<{ lines: string[]; progress: ExportProgress }> = [];
    for await (const unit of exportUnits(deps, env, spec, presenter)) units.push(unit);
    const full = units.flatMap((u) => u.lines);
    expect(full.length).toBeGreaterThan(100);
    for (const k of [0, 1, 2, 7, Math.floor(units.length / 2), units.length - 2]) {
      const resumed: string[] = [];
      for await (const unit of exportUnits(deps, env, spec, presenter, units[k]!.progress))
        resumed.push(...unit.lines);
      expect([...units.slice(0, k + 1).flatMap((u) => u.lines), ...resumed]).toEqual(full);
    }
  });
});

describe('scopes and tenancy', () => {
  it('needs write to import and read to export, and hides jobs from other environments', async () => {
    const read = await server.createKey(['read']);
    const write = await server.createKey(['write']);
    const other = await server.createKey(['admin'], 'default', 'elsewhere');
    const body = JSON.stringify({ type: 'track', event: 'x', userId: 'scope-1' });

    const refused = await post(server, '/v1/imports', body, 'application/x-ndjson', read);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    const imported = await post(server, '/v1/imports', body, 'application/x-ndjson', write);
    expect(imported.status).toBe(202);
    await settle(server, imported.body.statusUrl, write);
    expect((await server.request('GET', imported.body.statusUrl, undefined, read)).status).toBe(
      403,
    );

    expect((await server.request('POST', '/v1/exports', {}, write)).status).toBe(403);
    const exported = await server.request('POST', '/v1/exports', {}, read);
    expect(exported.status).toBe(202);
    const done = await settle(server, exported.body.statusUrl, read);
    expect((await server.request('GET', done.dataUrl, undefined, read)).status).toBe(200);

    for (const p of [imported.body.statusUrl, exported.body.statusUrl, done.dataUrl])
      expect((await server.request('GET', p, undefined, other)).status).toBe(404);
    expect((await server.request('GET', '/v1/imports/nope', undefined, write)).status).toBe(404);
  });
});

describe('restart', () => {
  it('finishes an import interrupted by a shutdown after a restart, applying each event once', {
    timeout: 120_000,
  }, async () => {
    const env = { TESSERA_BODY_LIMIT_BYTES: String(32 * 1024 * 1024) };
    const first = await startTestServer({ env });
    const count = 12_000;
    const lines: string[] = [];
    for (let n = 0; n < count; n++)
      lines.push(
        JSON.stringify({
          type: 'track',
          event: 'Viewed',
          userId: `r-${n % 2000}`,
          properties: { n },
        }),
      );
    const created = await post(first, '/v1/imports', lines.join('\n'), 'application/x-ndjson');
    expect(created.status).toBe(202);
    // Let it start, then stop the server: the job stops at its next checkpoint.
    await new Promise((r) => setTimeout(r, 300));
    await first.stop();

    const second = await startTestServer({ dir: first.dir, env });
    try {
      const key = await second.createKey(['write']);
      const before = await second.request('GET', created.body.statusUrl, undefined, key);
      expect(before.body.status).not.toBe('done');
      expect(before.body.progress.lines).toBeLessThan(count);
      const done = await settle(second, created.body.statusUrl, key, 100_000);
      expect(done.status).toBe('done');
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      expect(done.progress).toMatchObject({ lines: count, applied: count, rejected: 0 });
      expect((await tableCounts(second.storage)).events).toBe(count);
    } finally {
      await second.destroy();
    }
  });
});
