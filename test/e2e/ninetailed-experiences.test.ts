import { Ninetailed } from '@ninetailed/experience.js';
import { NinetailedAPIClient } from '@ninetailed/experience.js-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

// The browser SDK sends nothing unless `window` is an object (see ninetailed-browser-sdk.test.ts).
(globalThis as { window?: unknown }).window = {
  setTimeout,
  clearTimeout,
  addEventListener() {},
  removeEventListener() {},
  location: { href: 'https://shop.example/' },
};

let server: TestServer;
let client: NinetailedAPIClient;

async function admin(method: string, path: string, body?: unknown) {
  const res = await server.request(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer();
  client = new NinetailedAPIClient({ clientId: 'default', environment: 'main', url: server.url });
  await admin('POST', '/v1/audiences', {
    id: 'pro-plan',
    name: 'Pro customers',
    rule: { trait: 'plan', op: 'equals', value: 'pro' },
  });
  await admin('POST', '/v1/audiences/pro-plan/publish');
  await admin('POST', '/v1/experiences', {
    id: 'exp-hero',
    type: 'personalization',
    audienceId: 'pro-plan',
    trafficAllocation: 1,
    distribution: [0, 1],
    priority: 1,
    components: [{ baselineId: 'entry-hero', variantIds: ['entry-hero-pro'] }],
    variables: [{ key: 'heroTitle', values: ['Welcome', 'Welcome back, pro!'] }],
  });
  await admin('POST', '/v1/experiences/exp-hero/publish');
});
afterAll(() => server.destroy());

type Traits = Parameters<NinetailedAPIClient['createIdentifyEvent']>[1];
type SdkEvent = Parameters<NinetailedAPIClient['updateProfile']>[0]['events'][number];

const identify = (traits: Traits) => client.createIdentifyEvent('', traits);

const HERO = {
  experienceId: 'exp-hero',
  variantIndex: 1,
  variants: { 'entry-hero': 'entry-hero-pro' },
};
const HERO_TITLE = {
  key: 'heroTitle',
  type: 'Variable',
  value: 'Welcome back, pro!',
  meta: { experienceId: 'exp-hero', variantIndex: 1 },
};

describe('experiences and variables through the Node SDK', () => {
  it('gives a profile in the audience the experience and its variable change', async () => {
    const answer = await client.createProfile({ events: [identify({ plan: 'pro' })] });
    expect(answer.profile.audiences).toEqual(['pro-plan']);
    expect(answer.experiences).toEqual([{ ...HERO, sticky: false }]);
    expect(answer.changes).toEqual([HERO_TITLE]);

    const again = await client.getProfile(answer.profile.id);
    expect(again.experiences.map((e) => e.experienceId)).toEqual(['exp-hero']);
    expect(again.changes).toEqual([HERO_TITLE]);
  });

  it('gives nothing to a profile outside the audience, until it joins', async () => {
    const answer = await client.createProfile({ events: [identify({ plan: 'free' })] });
    expect(answer.profile.audiences).toEqual([]);
    expect(answer.experiences).toEqual([]);
    expect(answer.changes).toEqual([]);

    const upgraded = await client.updateProfile({
      profileId: answer.profile.id,
      events: [identify({ plan: 'pro' })],
    });
    expect(upgraded.experiences.map((e) => e.experienceId)).toEqual(['exp-hero']);
  });

  it('selects for a preflight (server-side rendering) without storing anything', async () => {
    const before = await tableCounts(server.storage);
    const answer = await client.createProfile(
      { events: [identify({ plan: 'pro' })] },
      { preflight: true },
    );
    expect(answer.changes).toEqual([HERO_TITLE]);
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it('lists audiences, not experiences, in batch answers', async () => {
    const profile = await client.sendIdentifyEvent('exp-batch-user', { plan: 'pro' });
    expect(profile.audiences).toEqual(['pro-plan']);
  });
});

describe('sticky variants', () => {
  beforeAll(async () => {
    await admin('POST', '/v1/experiences', {
      id: 'exp-cta',
      type: 'experiment',
      trafficAllocation: 1,
      distribution: [0.5, 0.5],
      priority: 2,
      components: [{ baselineId: 'entry-cta', variantIds: ['entry-cta-b'] }],
    });
    await admin('POST', '/v1/experiences/exp-cta/publish');
  });

  it('keeps a seen variant, marked sticky, even after the distribution changes', async () => {
    const { profile, experiences } = await client.createProfile({
      events: [identify({ plan: 'free' })],
    });
    const drawn = experiences.find((e) => e.experienceId === 'exp-cta')!;
    expect(drawn.sticky).toBe(false);
    // Lock the variant the distribution did not draw, so the lock is what decides.
    const locked = 1 - drawn.variantIndex;
    // Built by hand: the Node SDK has no component-view builder.
    const component = {
      ...identify({}),
      type: 'component',
      componentType: 'Entry',
      componentId: locked === 1 ? 'entry-cta-b' : 'entry-cta',
      experienceId: 'exp-cta',
      variantIndex: locked,
    } as unknown as SdkEvent;
    const seen = await client.updateProfile({ profileId: profile.id, events: [component] });
    expect(seen.experiences.find((e) => e.experienceId === 'exp-cta')).toMatchObject({
      variantIndex: locked,
      sticky: true,
    });

    // Everyone new now gets the other variant; this profile keeps its own.
    const distribution = locked === 1 ? [1, 0] : [0, 1];
    const {
      createdAt: _c,
      updatedAt: _u,
      ...current
    } = await admin('GET', '/v1/experiences/exp-cta');
    await admin('PUT', '/v1/experiences/exp-cta', { ...current, distribution });
    const fresh = await client.createProfile({ events: [identify({})] });
    expect(fresh.experiences.find((e) => e.experienceId === 'exp-cta')?.variantIndex).toBe(
      1 - locked,
    );
    const later = await client.getProfile(profile.id);
    expect(later.experiences.find((e) => e.experienceId === 'exp-cta')).toMatchObject({
      variantIndex: locked,
      sticky: true,
    });
    expect((await server.request('GET', `/v1/profiles/${profile.id}`)).status).toBe(200);
  });
});

describe('experiences and variables through the browser SDK', () => {
  it('hands the selected experience and the variable change to the page', async () => {
    const store = new Map<string, unknown>();
    const nt = new Ninetailed(
      { clientId: 'default', environment: 'main' },
      {
        url: server.url,
        storageImpl: {
          getItem: (key: string) => store.get(key),
          setItem: (key: string, value: unknown) => void store.set(key, value),
          removeItem: (key: string) => void store.delete(key),
        },
        buildClientContext: () => ({
          url: 'https://shop.example/',
          referrer: '',
          locale: 'en-US',
          userAgent: 'vitest',
          document: { title: 'Home' },
        }),
      },
    );
    const changes: unknown[] = [];
    nt.onChangesChange((state) => changes.push(state.changes));
    await nt.page();
    expect(changes.at(-1)).toEqual([]);
    await nt.identify('', { plan: 'pro' });
    const experiences = store.get('__nt_experiences__') as Array<{ experienceId: string }>;
    expect(experiences.map((e) => e.experienceId)).toContain('exp-hero');
    // The SDK does not keep changes in its storage (its storage filter drops that key), so
    // they reach the page only through onChangesChange.
    expect(changes.at(-1)).toEqual([HERO_TITLE]);

    // A sticky view leaves with the next call (the SDK queues it after its own flush).
    await nt.trackStickyComponentView({
      experienceId: 'exp-cta',
      componentId: 'entry-cta-b',
      variantIndex: 1,
    });
    await nt.track('Viewed CTA');
    const after = store.get('__nt_experiences__') as Array<{ experienceId: string }>;
    expect(after.find((e) => e.experienceId === 'exp-cta')).toMatchObject({
      variantIndex: 1,
      sticky: true,
    });
  });
});
