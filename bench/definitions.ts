import { call, type Tessera } from './tessera-server.js';

/**
 * The personalization setup of the issue: 20 published audiences and 10 published experiences,
 * with a mix of rule kinds (traits, page-view counters, sessions, location, identity, groups),
 * so that both the fold (counters updated per event) and evaluation do realistic work.
 */
function audienceRule(i: number): unknown {
  switch (i % 5) {
    case 0:
      return { trait: 'plan', op: 'equals', value: i === 0 ? 'pro' : `plan-${i}` };
    case 1:
      return {
        pageView: { path: { op: 'startsWith', value: '/bench' } },
        minCount: i,
        withinDays: 30,
      };
    case 2:
      return {
        all: [
          { trait: 'score', op: 'gte', value: i * 5 },
          { session: 'count', op: 'gte', value: 1 },
        ],
      };
    case 3:
      return { location: 'countryCode', op: 'in', value: ['DE', 'FR', 'GB', `X${i}`] };
    default:
      return {
        any: [
          { identified: true },
          { pageView: { url: { op: 'contains', value: `/landing-${i}` } }, withinDays: 7 },
        ],
      };
  }
}

function experience(i: number): Record<string, unknown> {
  return {
    id: `bench-exp-${i}`,
    type: i % 2 ? 'experiment' : 'personalization',
    audienceId: `bench-aud-${(i * 2) % 20}`,
    trafficAllocation: 1,
    distribution: i % 2 ? [0.5, 0.5] : [0, 1],
    priority: i + 1,
    components: [{ baselineId: `entry-${i}`, variantIds: [`entry-${i}-b`] }],
    variables: [{ key: `var${i}`, values: [`baseline ${i}`, `variant ${i}`] }],
  };
}

export async function defineAudiencesAndExperiences(t: Tessera): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await call(t.url, 'PUT', `/v1/audiences/bench-aud-${i}`, t.admin, {
      name: `Bench audience ${i}`,
      rule: audienceRule(i),
    });
    await call(t.url, 'POST', `/v1/audiences/bench-aud-${i}/publish`, t.admin, {});
  }
  for (let i = 0; i < 10; i++) {
    await call(t.url, 'POST', '/v1/experiences', t.admin, experience(i));
    await call(t.url, 'POST', `/v1/experiences/bench-exp-${i}/publish`, t.admin, {});
  }
}

/**
 * Creates (or updates) a profile through the native API: identified, with traits that put it in
 * some audiences, and a page view. Answers its Tessera id.
 */
export async function createProfile(t: Tessera, userId: string): Promise<string> {
  const answer = await call(t.url, 'POST', `/v1/profiles/userId:${userId}/events`, t.auth, {
    events: [
      { type: 'identify', traits: { plan: 'pro', score: 50, email: `${userId}@example.com` } },
      {
        type: 'page',
        name: 'Bench',
        properties: { url: 'https://example.com/bench', path: '/bench', title: 'Bench' },
        context: { location: { countryCode: 'DE', city: 'Berlin' } },
      },
    ],
  });
  return (JSON.parse(answer) as { profile: { id: string } }).profile.id;
}
