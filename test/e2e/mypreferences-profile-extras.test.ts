import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MyPreferencesCall, myPreferencesCaller } from '../helpers/pnauthinfo.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let call: MyPreferencesCall;

beforeAll(async () => {
  server = await startTestServer();
  call = await myPreferencesCaller(server, 'ExtrasClient', 'extras-user');
});
afterAll(() => server.destroy());

const ids = (res: { body: { Profiles: Array<{ ProfileId: string }> } }) =>
  res.body.Profiles.map((p) => p.ProfileId).sort();

describe('MyPreferences (004) profile extras', () => {
  let ann: string;

  it('stores alternate ids, tags, custom fields and groups, and answers them', async () => {
    const res = await call('POST', '/Profiles', {
      AlternateIds: [
        { Type: 'CRM', Value: 'crm-1' },
        { Type: 'userId', Value: 'mp-ann' },
      ],
      Traits: { name: 'Ann', email: 'family@example.com' },
      Tags: ['vip', 'newsletter'],
      CustomFields: { Colour: 'blue', Score: 7 },
      Groups: ['Gold'],
    });
    expect(res.status).toBe(200);
    ann = res.body.ProfileId;
    expect(res.body.AlternateIds).toEqual(
      expect.arrayContaining([
        { Type: 'userId', Value: 'mp-ann' },
        { Type: 'email', Value: 'family@example.com' },
        { Type: 'CRM', Value: 'crm-1' },
      ]),
    );
    expect(res.body.Traits).toEqual({ name: 'Ann', email: 'family@example.com' });
    expect(res.body.Tags).toEqual(['newsletter', 'vip']);
    expect(res.body.CustomFields).toEqual({ Colour: 'blue', Score: 7 });
    expect(res.body.Groups).toEqual(['Gold']);

    const byCrm = await call('GET', '/Profiles/CRM:crm-1');
    expect(byCrm.status).toBe(200);
    expect(byCrm.body).toEqual(res.body);
    expect((await call('GET', '/Profiles/CRM:nobody')).status).toBe(404);
  });

  it('updates the profile an alternate id names, field by field', async () => {
    const res = await call('POST', '/Profiles', {
      AlternateIds: [{ Type: 'CRM', Value: 'crm-1' }],
      Tags: ['vip', 'returning'],
      CustomFields: { Colour: 'red' },
      Groups: ['Silver'],
    });
    expect(res.status).toBe(200);
    expect(res.body.ProfileId).toBe(ann);
    // Score was not named: it keeps its value (each field is its own trait).
    expect(res.body.CustomFields).toEqual({ Colour: 'red', Score: 7 });
    expect(res.body.Tags).toEqual(['newsletter', 'returning', 'vip']);
    expect(res.body.Groups).toEqual(['Gold', 'Silver']);
  });

  it('creates a profile for an alternate id nobody holds, and refuses one held by another', async () => {
    const created = await call('POST', '/Profiles', {
      AlternateIds: [{ Type: 'DeviceId', Value: 'dev-9' }],
      Traits: { email: 'family@example.com' },
      Tags: ['vip'],
      CustomFields: { Colour: 'blue' },
    });
    expect(created.status).toBe(200);
    expect(created.body.ProfileId).not.toBe(ann);
    expect((await call('GET', '/Profiles/DeviceId:dev-9')).body.ProfileId).toBe(
      created.body.ProfileId,
    );

    const conflict = await call('POST', '/Profiles', {
      AlternateIds: [
        { Type: 'userId', Value: 'mp-bob' },
        { Type: 'CRM', Value: 'crm-1' },
      ],
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.Message).toContain('CRM:crm-1');
    expect((await call('GET', '/Profiles/userId:mp-bob')).status).toBe(404);
  });

  it('searches by tag, group, custom field, alternate id and contact element', async () => {
    const device = (await call('GET', '/Profiles/DeviceId:dev-9')).body.ProfileId;
    expect(ids(await call('GET', '/Profiles?tag=vip'))).toEqual([ann, device].sort());
    expect(ids(await call('GET', '/Profiles?tag=returning'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?group=Gold'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?customField.Colour=red'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?customField.Colour=blue'))).toEqual([device]);
    expect(ids(await call('GET', '/Profiles?customField.Score=7'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?alternateId=CRM:crm-1'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?alternateId=userId:mp-ann'))).toEqual([ann]);
    expect(ids(await call('GET', '/Profiles?email=family@example.com'))).toEqual(
      [ann, device].sort(),
    );
    expect((await call('GET', '/Profiles?tag=nobody-has-it')).body).toEqual({ Profiles: [] });

    for (const query of ['', '?tag=vip&group=Gold', '?colour=red', '?tag=vip&colour=red']) {
      const res = await call('GET', `/Profiles${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.Message, query).toBeTypeOf('string');
    }
    expect((await call('GET', '/Profiles?colour=red')).body.Message).toContain('colour');
  });

  it('documents the bodies in the OpenAPI spec', async () => {
    const spec = (await server.request('GET', '/openapi.json', undefined, null)).body;
    const search = spec.paths['/Profiles/v4/{clientId}/Profiles'];
    expect(search.get.parameters.map((p: { name: string }) => p.name)).toContain('tag');
    const body = search.post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining(['AlternateIds', 'Traits', 'Tags', 'CustomFields', 'Groups']),
    );
  });

  it('erases alternate ids, tags and groups with the profile', async () => {
    expect((await server.request('DELETE', `/v1/profiles/${ann}`)).status).toBe(204);
    expect((await call('GET', '/Profiles/CRM:crm-1')).status).toBe(404);
    expect((await call('GET', '/Profiles?group=Gold')).body).toEqual({ Profiles: [] });
    for (const table of ['profile_alternate_ids', 'profile_labels', 'profile_tags'] as const) {
      const rows = await server.storage.db
        .selectFrom(table)
        .select('profile_id')
        .where('profile_id', '=', ann)
        .execute();
      expect(rows, table).toEqual([]);
    }
  });
});
