import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
let clientId: string;
beforeAll(async () => {
  server = await startTestServer();
  clientId = (await server.request('POST', '/v4/clients', { customId: 'adm-1', city: 'Oslo' })).body
    .clientId;
});
afterAll(() => server.destroy());

const create = async (body: Record<string, unknown>) =>
  (await server.request('POST', '/v4/clients', body)).body.clientId as string;

describe('001 merges', () => {
  it('merges by clientIds, reads the survivor back, and undoes through the native API', async () => {
    const target = await create({ customId: 'm-t', firstName: 'Target' });
    const a = await create({ customId: 'm-a', attributes: { plan: 'pro' } });
    const b = await create({ customId: 'm-b', lastName: 'Source' });
    const res = await server.request(
      'POST',
      `/v4/clients/merge/from/ids/${a},${b}/to/id/${target}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.client).toMatchObject({
      clientId: target,
      firstName: 'Target',
      lastName: 'Source',
      attributes: { plan: 'pro' },
    });
    expect(res.body.merges.map((m: { mergedClientId: string }) => m.mergedClientId)).toEqual([
      a,
      b,
    ]);
    // The sources' ids resolve to the survivor.
    expect((await server.request('GET', `/v4/clients/${a}`)).body.clientId).toBe(target);
    expect((await server.request('GET', '/v4/clients/customId/m-b')).body.clientId).toBe(target);

    const log = await server.request('GET', `/v1/profiles/${target}/merges`);
    expect(log.body.data).toHaveLength(2);
    const undo = await server.request(
      'POST',
      `/v1/profiles/${target}/merges/${res.body.merges[0].mergeId}/undo`,
    );
    expect(undo.status).toBe(200);
    expect((await server.request('GET', `/v4/clients/${a}`)).body).toMatchObject({
      clientId: a,
      attributes: { plan: 'pro' },
    });
  });

  it('merges by customIds', async () => {
    const target = await create({ customId: 'c-t' });
    const source = await create({ customId: 'c-s', email: 'cs@example.com' });
    const res = await server.request(
      'POST',
      '/v4/clients/merge/from/custom-ids/c-s/to/custom-id/c-t',
    );
    expect(res.status).toBe(200);
    expect(res.body.client).toMatchObject({ clientId: target, email: 'cs@example.com' });
    expect(res.body.merges).toEqual([{ mergeId: expect.any(String), mergedClientId: source }]);
    expect((await server.request('GET', '/v4/clients/by-email/cs@example.com')).body.clientId).toBe(
      target,
    );
  });

  it('refuses unknown profiles (404) and empty lists (400)', async () => {
    const target = await create({ customId: 'e-t' });
    const unknown = await server.request('POST', `/v4/clients/merge/from/ids/nope/to/id/${target}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404, error: 'Not Found' });
    const empty = await server.request('POST', `/v4/clients/merge/from/ids/,,/to/id/${target}`);
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/fromClientIds/);
  });
});

describe('001 CRM endpoints', () => {
  it('reads and updates a profile through /crm/v1', async () => {
    const read = await server.request('GET', `/crm/v1/clients/${clientId}/contacts`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ clientId, city: 'Oslo', customId: 'adm-1' });
    const put = await server.request('PUT', `/crm/v1/contacts/${clientId}`, { city: 'Bergen' });
    expect(put.body).toMatchObject({ clientId, city: 'Bergen' });
    expect((await server.request('GET', '/crm/v1/clients/none/contacts')).status).toBe(404);
  });
});

describe('001 exports', () => {
  async function settle(taskId: string) {
    for (let i = 0; i < 300; i++) {
      const res = await server.request('GET', `/morph/exports/clients/${taskId}/status`);
      expect(res.status).toBe(200);
      if (res.body.status === 'DONE' || res.body.status === 'FAILED') return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('export did not finish');
  }

  it('creates a task from a filter, reports its status and serves the profiles', async () => {
    await create({ customId: 'x-1', city: 'Warsaw', firstName: 'W1' });
    await create({ customId: 'x-2', city: 'Warsaw', firstName: 'W2' });
    const created = await server.request('POST', '/morph/exports/clients/segmentation', {
      filter: { trait: 'city', op: 'equals', value: 'Warsaw' },
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'QUEUED', taskId: expect.any(String) });
    const done = await settle(created.body.taskId);
    expect(done).toMatchObject({ status: 'DONE', exported: 2 });
    const data = await server.request('GET', `/morph/exports/clients/${created.body.taskId}/data`);
    expect(data.status).toBe(200);
    expect(data.body.map((c: { customId: string }) => c.customId).sort()).toEqual(['x-1', 'x-2']);
    expect(data.body[0]).toMatchObject({ city: 'Warsaw', attributes: {}, tags: [] });
  });

  it('refuses a bad filter and an unknown audience, and 404s an unknown task', async () => {
    const bad = await server.request('POST', '/morph/exports/clients/segmentation', {
      filter: { trait: 'city', op: 'nope' },
    });
    expect(bad.status).toBe(400);
    const audience = await server.request('POST', '/morph/exports/clients/segmentation', {
      audienceId: 'missing',
    });
    expect(audience.status).toBe(404);
    const unknown = await server.request('GET', '/morph/exports/clients/missing/status');
    expect(unknown.status).toBe(404);
    expect(unknown.body.path).toBe('/morph/exports/clients/missing/status');
  });

  it('does not serve a native export of events as a task of profiles', async () => {
    const events = await server.request('POST', '/v1/exports', { what: 'events' });
    expect(events.status).toBe(202);
    const taskId = events.body.id;
    for (const path of [
      `/morph/exports/clients/${taskId}/status`,
      `/morph/exports/clients/${taskId}/data`,
    ])
      expect((await server.request('GET', path)).status, path).toBe(404);
  });
});

describe('001 auth and tenancy', () => {
  const ID = '01900000-0000-7000-8000-000000000000';
  /** Every route of the surface from the app's route table, with its params filled in. */
  function routes() {
    return server.app.routeTable
      .filter((r) => r.surface === 'profile-management')
      .map((r) => ({
        ...r,
        path: r.url
          .replace(/:[A-Za-z]+/g, (name) => (name === ':identifierType' ? 'id' : ID))
          .replace('*', 'x'),
        body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      }));
  }

  it('covers the document paths', () => {
    const table = routes().map((r) => `${r.method} ${r.url}`);
    expect(table).toEqual(
      expect.arrayContaining([
        'POST /v4/clients',
        'GET /v4/clients/:clientId',
        'DELETE /v4/clients/by-custom-id/:customId',
        'POST /v4/clients/merge/from/ids/:fromClientIds/to/id/:toClientId',
        'POST /v4/events/push/clicked',
        'POST /v4/transactions/batch',
        'GET /crm/v1/clients/:clientId/contacts',
        'POST /morph/exports/clients/segmentation',
        'POST /sauth/management/client/:clientID/logout',
      ]),
    );
    const scopes = Object.fromEntries(routes().map((r) => [`${r.method} ${r.url}`, r.scope]));
    expect(scopes['DELETE /v4/clients/:clientId']).toBe('write');
    expect(scopes['POST /morph/exports/clients/segmentation']).toBe('read');
  });

  it('answers 401 without a credential and 403 with the wrong scope, in the dialect format', async () => {
    const readOnly = await server.createKey(['read']);
    const writeOnly = await server.createKey(['write']);
    const before = await tableCounts(server.storage);
    for (const route of routes()) {
      const none = await server.request(route.method, route.path, route.body, null);
      expect(none.status, `${route.method} ${route.path}`).toBe(401);
      expect(none.body).toMatchObject({ status: 401, error: 'Unauthorized', code: 'unauthorized' });
      const wrong = route.scope === 'read' ? writeOnly : readOnly;
      const refused = await server.request(route.method, route.path, route.body, wrong);
      expect(refused.status, `${route.method} ${route.path} ${route.scope}`).toBe(403);
      expect(refused.body).toMatchObject({ status: 403, error: 'Forbidden' });
    }
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it("never reaches another environment's profiles", async () => {
    const other = await server.createKey(['admin'], 'other-org', 'main');
    for (const path of [
      `/v4/clients/${clientId}`,
      '/v4/clients/customId/adm-1',
      `/crm/v1/clients/${clientId}/contacts`,
      `/v4/events/by-client/${clientId}`,
    ]) {
      const res = await server.request('GET', path, undefined, other);
      expect(res.status, path).toBe(404);
    }
    expect(
      (await server.request('DELETE', `/v4/clients/${clientId}`, undefined, other)).status,
    ).toBe(404);
    const event = await server.request(
      'POST',
      '/v4/events/custom',
      { action: 'x', client: { clientId } },
      other,
    );
    expect(event.status).toBe(404);
    expect((await server.request('GET', `/v4/clients/${clientId}`)).status).toBe(200);
  });
});

describe('001 OpenAPI', () => {
  it('documents every route of the dialect with its schemas under one tag', async () => {
    const doc = (await server.request('GET', '/openapi.json', undefined, null)).body;
    const tagged = Object.entries(
      doc.paths as Record<string, Record<string, { tags?: string[] }>>,
    ).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.tags?.includes('Profile management (001)'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    const table = server.app.routeTable.filter((r) => r.surface === 'profile-management');
    expect(tagged).toHaveLength(table.length);
    expect(tagged).toEqual(
      expect.arrayContaining([
        'POST /v4/clients',
        'GET /v4/clients/{identifierType}/{identifierValue}',
      ]),
    );
    const create = doc.paths['/v4/clients'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'customId',
    );
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '404']));
    expect(
      doc.paths['/v4/events/custom'].post.requestBody.content['application/json'].schema.required,
    ).toContain('action');
  });
});
