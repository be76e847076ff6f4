import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

/** Expects the 001 dialect's Spring-style error body. */
function expectSpringError(res: { status: number; body: Record<string, unknown> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ status, path: expect.stringMatching(/^\//) });
  expect(typeof res.body.timestamp).toBe('string');
  expect(typeof res.body.error).toBe('string');
  expect(typeof res.body.message).toBe('string');
  expect(typeof res.body.requestId).toBe('string');
}

describe('001 profiles: create, read, update, delete by each key', () => {
  it('creates a profile and reads it back by clientId and by every identifier type', async () => {
    const created = await server.request('POST', '/v4/clients', {
      customId: 'cust-1',
      uuid: 'uuid-1',
      email: 'Ann@Example.com',
      phone: '+48 600 100 200',
      firstName: 'Ann',
      city: 'Warsaw',
      attributes: { tier: 'gold', visits: 3 },
      agreements: { email: true, sms: false },
    });
    expect(created.status).toBe(201);
    const clientId = created.body.clientId;
    expect(created.headers.get('location')).toBe(`/v4/clients/${clientId}`);
    expect(created.body).toMatchObject({
      customId: 'cust-1',
      uuid: 'uuid-1',
      email: 'Ann@Example.com',
      firstName: 'Ann',
      city: 'Warsaw',
      lastName: null,
      attributes: { tier: 'gold', visits: 3 },
      agreements: { email: true, sms: false },
    });

    const byId = await server.request('GET', `/v4/clients/${clientId}`);
    expect(byId.status).toBe(200);
    expect(byId.body.clientId).toBe(clientId);
    for (const [type, value] of [
      ['id', clientId],
      ['by-email', 'ann@example.com'],
      ['email', 'ANN@example.com'],
      ['by-customid', 'cust-1'],
      ['customId', 'cust-1'],
      ['by-uuid', 'uuid-1'],
      ['anonymousId', 'uuid-1'],
      ['phone', '+48600100200'],
    ]) {
      const res = await server.request('GET', `/v4/clients/${type}/${encodeURIComponent(value)}`);
      expect(res.status, `${type} ${value}`).toBe(200);
      expect(res.body.clientId).toBe(clientId);
    }
    const bad = await server.request('GET', '/v4/clients/by-shoe-size/42');
    expectSpringError(bad, 400);
    expect(bad.body.message).toMatch(/identifierType/);
    expectSpringError(await server.request('GET', '/v4/clients/customId/nobody'), 404);
  });

  it('updates by clientId, by email and by customId; creates on a new email or customId', async () => {
    const created = await server.request('POST', '/v4/clients', {
      customId: 'cust-2',
      firstName: 'Bo',
    });
    const clientId = created.body.clientId;
    const byId = await server.request('POST', `/v4/clients/${clientId}`, {
      lastName: 'Smith',
      email: 'bo@example.com',
      agreements: { push: true },
    });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({
      firstName: 'Bo',
      lastName: 'Smith',
      agreements: { push: true },
    });
    const byEmail = await server.request('POST', '/v4/clients/by-email/bo@example.com', {
      city: 'Oslo',
    });
    expect(byEmail.body).toMatchObject({ clientId, city: 'Oslo', lastName: 'Smith' });
    const byCustomId = await server.request('POST', '/v4/clients/by-customid/cust-2', {
      company: 'ACME',
    });
    expect(byCustomId.body).toMatchObject({ clientId, company: 'ACME' });

    const fresh = await server.request('POST', '/v4/clients/by-customid/cust-new', {
      firstName: 'Cy',
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.clientId).not.toBe(clientId);
    expect(fresh.body.customId).toBe('cust-new');
    const freshEmail = await server.request('POST', '/v4/clients/by-email/dee@example.com', {
      firstName: 'Dee',
    });
    expect(freshEmail.body).toMatchObject({ email: 'dee@example.com', firstName: 'Dee' });

    expectSpringError(await server.request('POST', '/v4/clients/nope', { firstName: 'X' }), 404);
    // A customId never changes silently: a second one, or another profile's, is refused.
    const second = await server.request('POST', `/v4/clients/${clientId}`, { customId: 'other' });
    expectSpringError(second, 409);
    expect(second.body.code).toBe('identity_conflict');
    // A profile without one gets it by an update, and answers to it from then on.
    const plain = await server.request('POST', '/v4/clients', { firstName: 'Ed' });
    const claimed = await server.request('POST', `/v4/clients/${plain.body.clientId}`, {
      customId: 'cust-ed',
    });
    expect(claimed.body.customId).toBe('cust-ed');
    expect((await server.request('GET', '/v4/clients/customId/cust-ed')).body.clientId).toBe(
      plain.body.clientId,
    );
    expectSpringError(
      await server.request('POST', `/v4/clients/${plain.body.clientId}`, { customId: 'cust-2' }),
      409,
    );
    expectSpringError(await server.request('POST', '/v4/clients', { customId: 'cust-2' }), 409);
  });

  it('never joins two profiles of different customIds through a uuid', async () => {
    const c = (await server.request('POST', '/v4/clients', { customId: 'uj-1', uuid: 'uj-uuid-c' }))
      .body.clientId;
    const d = (await server.request('POST', '/v4/clients', { customId: 'uj-2', uuid: 'uj-uuid-d' }))
      .body.clientId;
    // An update naming another profile's uuid: the profile is updated, the uuid stays with C.
    const updated = await server.request('POST', `/v4/clients/${d}`, {
      uuid: 'uj-uuid-c',
      city: 'Lodz',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ clientId: d, customId: 'uj-2', city: 'Lodz' });
    expect((await server.request('GET', '/v4/clients/by-uuid/uj-uuid-c')).body.clientId).toBe(c);
    // A batch item creating a profile by a new customId, with C's uuid: created on its own.
    const batch = await server.request('POST', '/v4/clients/batch', [
      { customId: 'uj-3', uuid: 'uj-uuid-c' },
    ]);
    expect(batch.body.results[0]).toMatchObject({ status: 200 });
    const created = batch.body.results[0].clientId;
    expect(created).not.toBe(c);
    for (const [customId, id] of [
      ['uj-1', c],
      ['uj-2', d],
      ['uj-3', created],
    ])
      expect((await server.request('GET', `/v4/clients/customId/${customId}`)).body.clientId).toBe(
        id,
      );
    expect((await server.request('GET', `/v4/clients/${c}`)).body.customId).toBe('uj-1');
  });

  it('deletes by clientId and by customId', async () => {
    const a = (await server.request('POST', '/v4/clients', { customId: 'del-1' })).body.clientId;
    const b = (await server.request('POST', '/v4/clients', { customId: 'del-2' })).body.clientId;
    expect((await server.request('DELETE', `/v4/clients/${a}`)).status).toBe(204);
    expect((await server.request('DELETE', '/v4/clients/by-custom-id/del-2')).status).toBe(204);
    // The document's other spelling works as well, for updates and deletes alike.
    const c = await server.request('POST', '/v4/clients/by-custom-id/del-3', { city: 'Turin' });
    expect(c.body).toMatchObject({ customId: 'del-3', city: 'Turin' });
    expect((await server.request('DELETE', '/v4/clients/by-customid/del-3')).status).toBe(204);
    expectSpringError(await server.request('GET', `/v4/clients/${c.body.clientId}`), 404);
    expectSpringError(await server.request('GET', `/v4/clients/${a}`), 404);
    expectSpringError(await server.request('GET', `/v4/clients/${b}`), 404);
    expectSpringError(await server.request('DELETE', `/v4/clients/${a}`), 404);
    expectSpringError(await server.request('DELETE', '/v4/clients/by-custom-id/del-2'), 404);
  });

  it('deletes by email, and refuses an email several profiles share', async () => {
    const one = (await server.request('POST', '/v4/clients', { email: 'Del.One@example.com' })).body
      .clientId;
    expect(
      (await server.request('DELETE', '/v4/clients/by-email/del.one@EXAMPLE.com')).status,
    ).toBe(204);
    expectSpringError(await server.request('GET', `/v4/clients/${one}`), 404);
    expectSpringError(
      await server.request('DELETE', '/v4/clients/by-email/del.one@example.com'),
      404,
    );

    const shared = ['del-s1', 'del-s2'].map((customId) =>
      server.request('POST', '/v4/clients', { customId, email: 'shared.del@example.com' }),
    );
    const ids = (await Promise.all(shared)).map((r) => r.body.clientId);
    expectSpringError(
      await server.request('DELETE', '/v4/clients/by-email/shared.del@example.com'),
      409,
    );
    for (const id of ids)
      expect((await server.request('GET', `/v4/clients/${id}`)).status).toBe(200);
  });

  it('fetches every profile sharing a phone', async () => {
    const one = await server.request('POST', '/v4/clients', {
      customId: 'ph-1',
      phone: '+1 555 0100',
    });
    const two = await server.request('POST', '/v4/clients', {
      customId: 'ph-2',
      phone: '+15550100',
    });
    const res = await server.request(
      'GET',
      `/v4/clients/batch/by-phone/${encodeURIComponent('+1 555 0100')}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.map((c: { clientId: string }) => c.clientId).sort()).toEqual(
      [one.body.clientId, two.body.clientId].sort(),
    );
    expect((await server.request('GET', '/v4/clients/batch/by-phone/+19999999')).body).toEqual([]);
    // One profile per phone is what the single fetch promises: shared answers 409.
    expectSpringError(await server.request('GET', '/v4/clients/phone/+15550100'), 409);
  });

  it('batch adds or updates, with a result per item', async () => {
    const existing = (await server.request('POST', '/v4/clients', { customId: 'bt-1' })).body
      .clientId;
    const res = await server.request('POST', '/v4/clients/batch', [
      { customId: 'bt-1', firstName: 'Eve' },
      { customId: 'bt-2', firstName: 'Fay' },
      { email: 42 },
      { firstName: 'nobody named' },
      { clientId: 'missing', firstName: 'Gus' },
      { clientId: existing, city: 'Rome' },
    ]);
    expect(res.status).toBe(200);
    const results = res.body.results;
    expect(results.map((r: { status: number }) => r.status)).toEqual([
      200, 200, 400, 400, 404, 200,
    ]);
    expect(results[0].clientId).toBe(existing);
    expect(results[2].message).toMatch(/email/);
    const read = await server.request('GET', `/v4/clients/${existing}`);
    expect(read.body).toMatchObject({ firstName: 'Eve', city: 'Rome' });
    expectSpringError(await server.request('POST', '/v4/clients/batch', []), 400);
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ customId: `x-${i}` }));
    expectSpringError(await server.request('POST', '/v4/clients/batch', tooMany), 400);
  });

  it('answers bad input with a 400 in the dialect format', async () => {
    const notJson = await server.request('POST', '/v4/clients', '{"firstName":');
    expectSpringError(notJson, 400);
    const unknownField = await server.request('POST', '/v4/clients', { shoeSize: 42 });
    expectSpringError(unknownField, 400);
    expect(unknownField.body.errors.length).toBeGreaterThan(0);
    const badAttr = await server.request('POST', '/v4/clients', { attributes: { email: 'x' } });
    expectSpringError(badAttr, 400);
    expectSpringError(await server.request('POST', '/v4/clients/by-customid/%20', {}), 400);
    // Names of Object.prototype members are unknown types like any other.
    for (const type of ['constructor', '__proto__', 'by-constructor', 'toString']) {
      expectSpringError(await server.request('GET', `/v4/clients/${type}/x`), 400);
    }
    for (const body of [{ email: 'not-an-email' }, { phone: 'call me' }]) {
      const bad = await server.request('POST', '/v4/clients', body);
      expectSpringError(bad, 400);
      expect(bad.body.errors[0].field).toBe(Object.keys(body)[0]);
    }
    expectSpringError(await server.request('GET', '/v4/nothing-here'), 404);
    expectSpringError(await server.request('GET', '/crm/v1/nothing-here'), 404);
  });
});
