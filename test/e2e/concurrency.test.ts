import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { TESSERA_MAX_WAITING_PER_PROFILE: '2' } });
});
afterAll(() => server.destroy());

const track = () => ({ events: [{ type: 'track', event: 'Tick', messageId: mid() }] });

describe('per-profile write serialization', () => {
  // How many overlap depends on scheduling; the queue limit itself is pinned down in
  // profile-write-slot.test.ts. Here: whatever is answered 200 is applied exactly once.
  it('loses no update under concurrent requests; what it refuses is a 429 profile_overloaded', async () => {
    await server.request('POST', '/v1/profiles/userId:hot/events', track());
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        server.request('POST', '/v1/profiles/userId:hot/events', track()),
      ),
    );
    const ok = responses.filter((r) => r.status === 200).length;
    const overloaded = responses.filter((r) => r.status === 429);
    expect(ok + overloaded.length).toBe(40);
    for (const refused of overloaded) {
      expect(refused.body.code).toBe('profile_overloaded');
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    const profile = (await server.request('GET', '/v1/profiles/userId:hot')).body;
    expect(profile.metadata.eventCount).toBe(1 + ok);
  });

  it('applies concurrent requests for different profiles independently', async () => {
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.request('POST', `/v1/profiles/userId:cold-${i}/events`, track()),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
  });
});
