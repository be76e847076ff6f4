import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let clientId: string;
beforeAll(async () => {
  server = await startTestServer();
  clientId = (
    await server.request('POST', '/v4/clients', {
      customId: 'an-1',
      email: 'an@example.com',
    })
  ).body.clientId;
});
afterAll(() => server.destroy());

describe('001 notes', () => {
  it('creates, lists, reads, updates and deletes notes', async () => {
    const base = `/notes-service/by-id/${clientId}`;
    const created = await server.request('POST', base, {
      subject: 'Call',
      content: 'Asked for a refund',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      clientId,
      subject: 'Call',
      content: 'Asked for a refund',
    });
    const noteId = created.body.noteId;
    await server.request('POST', base, { content: 'Second' });
    const list = await server.request('GET', base);
    expect(list.body.map((n: { content: string }) => n.content)).toEqual([
      'Asked for a refund',
      'Second',
    ]);
    expect((await server.request('GET', `${base}/${noteId}`)).body.subject).toBe('Call');
    const updated = await server.request('PUT', `${base}/${noteId}`, {
      subject: null,
      content: 'Refunded',
    });
    expect(updated.body).toMatchObject({ subject: null, content: 'Refunded' });
    expect((await server.request('DELETE', `${base}/${noteId}`)).status).toBe(204);
    const gone = await server.request('GET', `${base}/${noteId}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ status: 404, error: 'Not Found' });
    expect((await server.request('POST', base, { content: '' })).status).toBe(400);
    expect((await server.request('POST', base, { text: 'x' })).status).toBe(400);
    expect((await server.request('GET', '/notes-service/by-id/missing')).status).toBe(404);
  });
});

describe('001 linked devices and push clean-up', () => {
  it('links devices by clientId and by other identifiers, then cleans up push tokens', async () => {
    const web = await server.request('POST', `/v4/clients/${clientId}/linked-devices`, {
      deviceId: 'browser-1',
      type: 'web',
      registrationId: 'web-token',
    });
    expect(web.status).toBe(200);
    expect(web.body).toMatchObject({
      deviceId: 'browser-1',
      clientId,
      registrationId: 'web-token',
      pushChannel: 'web-push',
    });
    const phone = await server.request(
      'POST',
      '/v4/clients/by-email/an@example.com/linked-devices',
      {
        deviceId: 'phone-1',
        type: 'android',
        registrationId: 'fcm-token',
        manufacturer: 'Acme',
        model: 'A1',
        os: 'Android',
        osVersion: '15',
      },
    );
    expect(phone.body).toMatchObject({
      clientId,
      pushChannel: 'mobile-push',
      model: 'A1',
      attributes: { manufacturer: 'Acme', osVersion: '15' },
    });
    const byCustomId = await server.request('POST', '/v4/clients/customId/an-1/linked-devices', {
      deviceId: 'tablet-1',
      type: 'ios',
    });
    expect(byCustomId.body).toMatchObject({ clientId, registrationId: null });

    const webClean = await server.request('POST', `/push-devices/web-push/clean-up/${clientId}`);
    expect(webClean.body).toEqual({ cleared: 1 });
    const mobileClean = await server.request(
      'POST',
      `/push-devices/mobile-push-subscriber/clean-up/${clientId}`,
    );
    expect(mobileClean.body).toEqual({ cleared: 1 });
    expect(
      (await server.request('POST', `/push-devices/web-push/clean-up/${clientId}`)).body,
    ).toEqual({ cleared: 0 });

    expect(
      (await server.request('POST', '/v4/clients/missing/linked-devices', { deviceId: 'd' }))
        .status,
    ).toBe(404);
    expect(
      (await server.request('POST', `/v4/clients/${clientId}/linked-devices`, { type: 'web' }))
        .status,
    ).toBe(400);
    expect((await server.request('POST', '/push-devices/web-push/clean-up/missing')).status).toBe(
      404,
    );
  });
});

describe('001 tags', () => {
  it('creates, lists, updates, assigns, removes and deletes tags', async () => {
    const vip = await server.request('POST', '/v4/tags', { name: 'VIP', color: '#ffaa00' });
    expect(vip.status).toBe(201);
    expect(vip.body).toMatchObject({ name: 'VIP', color: '#ffaa00', description: null });
    const churn = (await server.request('POST', '/v4/tags', { name: 'Churn risk' })).body;
    expect((await server.request('POST', '/v4/tags', { name: 'VIP' })).status).toBe(409);
    const all = await server.request('GET', '/v4/clients/tags');
    expect(all.body.map((t: { name: string }) => t.name)).toEqual(['Churn risk', 'VIP']);

    const renamed = await server.request('PUT', `/v4/tags/${vip.body.id}`, {
      name: 'Gold',
      description: 'Top',
    });
    expect(renamed.body).toMatchObject({ id: vip.body.id, name: 'Gold', description: 'Top' });

    expect(
      (await server.request('POST', `/v4/clients/${clientId}/tags/${vip.body.id}`)).status,
    ).toBe(204);
    expect((await server.request('POST', `/v4/clients/${clientId}/tags/${churn.id}`)).status).toBe(
      204,
    );
    const tags = await server.request('GET', `/v4/clients/${clientId}/tags`);
    expect(tags.body.map((t: { name: string }) => t.name).sort()).toEqual(['Churn risk', 'Gold']);
    expect((await server.request('GET', `/v4/clients/${clientId}`)).body.tags.sort()).toEqual([
      'Churn risk',
      'Gold',
    ]);

    expect(
      (await server.request('DELETE', `/v4/clients/${clientId}/tags/${churn.id}`)).status,
    ).toBe(204);
    expect((await server.request('DELETE', `/v4/tags/${vip.body.id}`)).status).toBe(204);
    expect((await server.request('GET', `/v4/clients/${clientId}/tags`)).body).toEqual([]);
    expect(
      (await server.request('POST', `/v4/clients/${clientId}/tags/${vip.body.id}`)).status,
    ).toBe(404);
    expect((await server.request('PUT', '/v4/tags/missing', { name: 'x' })).status).toBe(404);
    expect((await server.request('POST', '/v4/tags', {})).status).toBe(400);
  });

  it('assigns the tags a client body names (defined when new)', async () => {
    const created = await server.request('POST', '/v4/clients', {
      customId: 'tagged',
      tags: ['Newsletter'],
    });
    expect(created.body.tags).toEqual(['Newsletter']);
    const updated = await server.request('POST', `/v4/clients/${created.body.clientId}`, {
      tags: ['Beta'],
    });
    expect(updated.body.tags.sort()).toEqual(['Beta', 'Newsletter']);
  });

  it('refuses a blank tag name in a client body and writes nothing of the body', async () => {
    const refused = await server.request('POST', '/v4/clients', {
      customId: 'blank-tag',
      city: 'Oslo',
      tags: ['Fine', '  '],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'tags[1]' })]);
    expect((await server.request('GET', '/v4/clients/by-customid/blank-tag')).status).toBe(404);
    const tags = await server.request('GET', '/v4/tags');
    expect(JSON.stringify(tags.body)).not.toContain('Fine');
  });

  it("keeps another environment's profiles out of reach", async () => {
    const other = await server.createKey(['admin'], 'other-org', 'main');
    for (const [method, path] of [
      ['GET', `/notes-service/by-id/${clientId}`],
      ['GET', `/v4/clients/${clientId}/tags`],
      ['POST', `/push-devices/web-push/clean-up/${clientId}`],
    ] as const) {
      expect((await server.request(method, path, undefined, other)).status, path).toBe(404);
    }
  });
});
