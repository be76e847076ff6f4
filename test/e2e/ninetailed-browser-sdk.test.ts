import { Ninetailed } from '@ninetailed/experience.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The browser SDK refuses to send anything unless `window` is an object (it drops "non-client"
 * events), and reads the page from it: a minimal window is enough, since the page context is
 * given through `buildClientContext` and storage through `storageImpl`.
 */
(globalThis as { window?: unknown }).window = {
  setTimeout,
  clearTimeout,
  addEventListener() {},
  removeEventListener() {},
  location: { href: 'https://shop.example/' },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

// biome-ignore lint/suspicious/noExplicitAny: the SDK stores arbitrary JSON
type Stored = Map<string, any>;

/** One browser: the SDK with its own localStorage, on a page of shop.example. */
function browser(path = '/pricing?utm_campaign=spring') {
  const store: Stored = new Map();
  const nt = new Ninetailed(
    { clientId: 'default', environment: 'main' },
    {
      url: server.url,
      locale: 'en-US',
      storageImpl: {
        getItem: (key: string) => store.get(key),
        setItem: (key: string, value: unknown) => void store.set(key, value),
        removeItem: (key: string) => void store.delete(key),
      },
      buildClientContext: () => ({
        url: `https://shop.example${path}`,
        referrer: 'https://search.example/',
        locale: 'en-US',
        userAgent: 'vitest',
        document: { title: 'Pricing' },
      }),
    },
  );
  return {
    nt,
    store,
    profileId: () => store.get('__nt_anonymous_id__') as string | undefined,
    profile: () => store.get('__nt_profile__'),
  };
}

describe('the browser SDK (Ninetailed class) against the Experience API', () => {
  it('creates a profile on the first page view and updates it by id afterwards', async () => {
    const b = browser();
    expect(await b.nt.page()).toEqual({ success: true });
    const id = b.profileId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.profile().session.landingPage).toEqual({
      path: '/pricing',
      url: 'https://shop.example/pricing?utm_campaign=spring',
      query: { utm_campaign: 'spring' },
      referrer: 'https://search.example/',
      search: '?utm_campaign=spring',
    });

    expect(await b.nt.track('Added To Cart', { sku: 'A-1' })).toEqual({ success: true });
    await b.nt.identify('', { plan: 'pro' });
    expect(b.profileId()).toBe(id);
    expect(b.profile().traits).toEqual({ plan: 'pro' });

    const native = await server.request('GET', `/v1/profiles/${id}/events?order=asc`);
    expect(native.body.data.map((e: { type: string }) => e.type)).toEqual([
      'page',
      'track',
      'identify',
    ]);
  });

  it('moves a second browser onto the known user when it identifies', async () => {
    const first = browser();
    await first.nt.page();
    await first.nt.identify('browser-user-1', { name: 'Grace' });
    const known = first.profileId()!;

    const second = browser('/');
    await second.nt.page();
    const anonymous = second.profileId()!;
    expect(anonymous).not.toBe(known);
    await second.nt.identify('browser-user-1', {});
    // The answer is the surviving profile; the SDK keeps using its id from now on.
    expect(second.profileId()).toBe(known);
    expect(second.profile().traits).toEqual({ name: 'Grace' });
    expect(second.profile().session.count).toBeGreaterThanOrEqual(1);

    // The merged-away id still resolves, to the survivor.
    const res = await fetch(
      `${server.url}/v2/organizations/default/environments/main/profiles/${anonymous}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { profile: { id: string } } };
    expect(body.data.profile.id).toBe(known);
  });

  it('starts a new profile after reset()', async () => {
    const b = browser();
    await b.nt.page();
    const before = b.profileId();
    await b.nt.reset();
    await b.nt.page();
    expect(b.profileId()).toBeDefined();
    expect(b.profileId()).not.toBe(before);
  });

  it('keeps its cached profile, failing every update, once its stored profile is deleted', async () => {
    const b = browser();
    await b.nt.page();
    const id = b.profileId()!;
    const del = await fetch(
      `${server.url}/v2/organizations/default/environments/main/profiles/${id}`,
      { method: 'DELETE' },
    );
    expect(del.status).toBe(200);
    // The SDK swallows the 404 and falls back to its cached profile: it recovers only after
    // reset(), as it would against the vendor's service.
    expect(await b.nt.track('After Delete')).toEqual({ success: false });
    expect(b.profileId()).toBe(id);
    expect(b.profile().id).toBe(id);
  });

  it('sends the view of a component with its variant (the sticky-variant event)', async () => {
    const b = browser();
    await b.nt.page();
    await b.nt.trackStickyComponentView({
      experienceId: 'exp-sticky-wire',
      componentId: 'entry-variant-1',
      variantIndex: 1,
    });
    // The SDK queues the component event after its own flush: it leaves with the next call.
    await b.nt.track('Next');
    const native = await server.request('GET', `/v1/profiles/${b.profileId()}/events?order=asc`);
    const component = native.body.data.find((e: { type: string }) => e.type === 'component');
    expect(component).toMatchObject({ experienceId: 'exp-sticky-wire', variantIndex: 1 });
  });
});
