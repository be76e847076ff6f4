import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

const DAY = 86_400_000;
let server: TestServer;
let clock = Date.now();

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
});
afterAll(() => server.destroy());

const experience = {
  id: 'hero-test',
  type: 'experiment',
  audienceId: 'pro-users',
  trafficAllocation: 1,
  distribution: [0, 1],
  priority: 1,
  components: [{ baselineId: 'hero-default', variantIds: ['hero-pro'] }],
  variables: [{ key: 'heroTitle', values: ['Welcome', 'Welcome back, pro!'] }],
};

describe('audience and experience definitions', () => {
  it('validates rules on save and names the bad parts', async () => {
    const bad = await server.request('POST', '/v1/audiences/validate', {
      rule: {
        all: [
          { trait: '__proto__.x', op: 'equals', value: 1 },
          { trait: 'plan', op: 'matchesRegex', value: '(a+)+$' },
        ],
      },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors.length).toBeGreaterThanOrEqual(2);
    const refused = await server.request('POST', '/v1/audiences', {
      id: 'x',
      name: 'x',
      rule: { any: 'nope' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('validation_failed');
    expect(refused.body.errors[0].field).toMatch(/^rule/);
    // Creates of one id at once: one wins, the others answer 409, and the winner's is stored.
    const creates = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        server.request('POST', '/v1/audiences', {
          id: 'raced',
          name: `creator-${i}`,
          rule: { trait: 'plan', op: 'exists' },
        }),
      ),
    );
    const won = creates.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    expect(creates.filter((r) => r.status === 409)).toHaveLength(7);
    const stored = await server.request('GET', '/v1/audiences/raced');
    expect(stored.body.name).toBe(won[0]!.body.name);
    // `.` and `..` are path segments a client resolves away: never ids.
    for (const id of ['.', '..']) {
      const res = await server.request('POST', '/v1/audiences', {
        id,
        name: 'dots',
        rule: { trait: 'plan', op: 'exists' },
      });
      expect(res.status, id).toBe(400);
      expect(res.body.errors[0].field).toBe('id');
    }
  });

  it('publishes an audience and an experience (audience first), and refuses cycles', async () => {
    const audience = await server.request('POST', '/v1/audiences', {
      id: 'pro-users',
      name: 'Pro users',
      rule: { trait: 'plan', op: 'equals', value: 'pro' },
    });
    expect(audience.status).toBe(201);
    expect(audience.body.status).toBe('draft');
    const exp = await server.request('POST', '/v1/experiences', experience);
    expect(exp.status).toBe(201);
    expect((await server.request('POST', '/v1/experiences/hero-test/publish')).status).toBe(409);
    expect((await server.request('POST', '/v1/audiences/pro-users/publish')).body.status).toBe(
      'published',
    );
    expect((await server.request('POST', '/v1/experiences/hero-test/publish')).body.status).toBe(
      'published',
    );

    // A published audience uses published audiences only, as an experience does.
    await server.request('PUT', '/v1/audiences/b', { name: 'b', rule: { audience: 'a' } });
    const early = await server.request('POST', '/v1/audiences/b/publish');
    expect(early.status).toBe(409);
    expect(early.body.title).toBe('Publish the audiences it uses first: a.');
    await server.request('PUT', '/v1/audiences/a', {
      name: 'a',
      rule: { trait: 'never-set', op: 'exists' },
    });
    expect((await server.request('POST', '/v1/audiences/a/publish')).status).toBe(200);
    expect((await server.request('POST', '/v1/audiences/b/publish')).status).toBe(200);
    const cycle = await server.request('PUT', '/v1/audiences/a', {
      name: 'a',
      rule: { audience: 'b' },
    });
    expect(cycle.status).toBe(409);
    expect(cycle.body.title).toContain('cycle');
    expect((await server.request('DELETE', '/v1/audiences/a')).status).toBe(409);
    expect((await server.request('DELETE', '/v1/audiences/pro-users')).status).toBe(409);
  });

  it('evaluates audiences as events arrive, logs entries and exits, and explains the choice', async () => {
    const ingest = (traits: object) =>
      server.request('POST', '/v1/profiles/userId:pia/events', {
        events: [{ type: 'identify', messageId: mid(), traits }],
      });
    await ingest({ plan: 'free' });
    expect(
      (await server.request('GET', '/v1/profiles/userId:pia/audiences')).body.audiences,
    ).toEqual([]);
    await ingest({ plan: 'pro' });
    let membership = (await server.request('GET', '/v1/profiles/userId:pia/audiences')).body;
    expect(membership.audiences).toEqual(['pro-users']);
    expect(membership.log.map((e: { kind: string }) => e.kind)).toEqual(['entered']);

    const explained = (await server.request('POST', '/v1/explain', { ref: 'userId:pia' })).body;
    expect(explained.audiences['pro-users'].result).toBe(true);
    expect(explained.audiences['pro-users'].trace).toMatchObject({ kind: 'trait', result: true });
    const step = explained.experiences.find(
      (s: { experienceId: string }) => s.experienceId === 'hero-test',
    );
    expect(step).toMatchObject({ status: 'published' });
    expect(typeof step.trafficHash).toBe('number');
    expect(explained.selection.experiences).toEqual([
      { experienceId: 'hero-test', variantIndex: 1, variants: { 'hero-default': 'hero-pro' } },
    ]);
    expect(explained.selection.changes).toEqual([
      {
        key: 'heroTitle',
        type: 'Variable',
        value: 'Welcome back, pro!',
        meta: { experienceId: 'hero-test', variantIndex: 1 },
      },
    ]);

    await ingest({ plan: 'free' });
    membership = (await server.request('GET', '/v1/profiles/userId:pia/audiences')).body;
    expect(membership.audiences).toEqual([]);
    expect(membership.log.map((e: { kind: string }) => e.kind)).toEqual(['entered', 'exited']);
  });

  it('explains a made-up profile built from events, storing nothing', async () => {
    const res = await server.request('POST', '/v1/explain', {
      events: [{ type: 'identify', traits: { plan: 'pro' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.profileId).toBeNull();
    expect(res.body.selection.audiences).toContain('pro-users');
  });
});

describe('time windows hold on read', () => {
  it('leaves "viewed pricing in the last 7 days" on day 8 without a new event', async () => {
    await server.request('PUT', '/v1/audiences/pricing-viewers', {
      name: 'Viewed pricing this week',
      rule: { pageView: { path: { op: 'equals', value: '/pricing' } }, withinDays: 7 },
    });
    await server.request('POST', '/v1/audiences/pricing-viewers/publish');
    const start = Date.now();
    clock = start;
    await server.request('POST', '/v1/profiles/anonymousId:window/events', {
      events: [pageEvent({ path: '/pricing', timestamp: new Date(start).toISOString() })],
    });
    const audiencesAt = async (offsetDays: number) => {
      clock = start + offsetDays * DAY;
      return (await server.request('GET', '/v1/profiles/anonymousId:window/audiences')).body;
    };
    expect((await audiencesAt(0)).audiences).toContain('pricing-viewers');
    expect((await audiencesAt(6)).audiences).toContain('pricing-viewers');
    const day8 = await audiencesAt(8);
    expect(day8.audiences).not.toContain('pricing-viewers');
    // The exit is logged at the profile's next write.
    await server.request('POST', '/v1/profiles/anonymousId:window/events', {
      events: [{ type: 'track', event: 'Ping', messageId: mid() }],
    });
    const log = (await audiencesAt(8)).log.filter(
      (e: { audienceId: string }) => e.audienceId === 'pricing-viewers',
    );
    expect(log.map((e: { kind: string }) => e.kind)).toEqual(['entered', 'exited']);
    clock = Date.now();
  });
});
