import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { Storage } from '../../storage/storage.js';
import { TenantService } from '../tenants/tenant-service.js';
import { createCredentialsModule } from './credentials-module.js';
import { HmacAuthenticator } from './hmac-authenticator.js';
import { MemoryReplayGuard, RedisReplayGuard } from './replay-guard.js';

// The 004 document's worked example.
const CLIENT = 'SanchezAssociates';
const USER = 'RickSanchez';
const KEY = 'SeemslikearareopportunityMorty!';
const ISSUED = '2015-08-10T20:11:00';
const HEADER = `PNAUTHINFO3-HMAC-SHA256 Credential=${USER}/${ISSUED} Signature=Lbhe+fKoQPZhzUYWHMVADC4BhqtAMQkfAfpR6Wzbxe0=`;
const issuedMs = Date.parse(`${ISSUED}Z`);

let storage: Storage;
let destroyStorage: () => Promise<void>;
let environmentId: string;
let module: ReturnType<typeof createCredentialsModule>;
let now = issuedMs;

beforeAll(async () => {
  ({ storage, destroy: destroyStorage } = await openTestStorage());
  environmentId = (await new TenantService(storage.db).ensureTenant('sanchez', 'main')).environment
    .id;
  module = createCredentialsModule(storage.db, randomBytes(32), {
    tokenTtlSeconds: 3600,
    rotationGraceSeconds: 3600,
  });
  await module.service.create(environmentId, {
    kind: 'hmac_user',
    name: 'rick',
    scopes: ['read'],
    userId: USER,
    privateKey: KEY,
  });
});
afterAll(() => destroyStorage());

const authenticator = () =>
  new HmacAuthenticator(module.verifier, new MemoryReplayGuard(() => now), () => now);
const request = (overrides: object = {}) => ({
  environmentId,
  clientId: CLIENT,
  authorization: HEADER,
  stateChanging: false,
  ...overrides,
});

describe('HmacAuthenticator', () => {
  it("accepts the document's example with the stored (encrypted) key, inside the 15-minute window", async () => {
    const auth = authenticator();
    for (const offset of [0, 14 * 60_000 + 59_000]) {
      now = issuedMs + offset;
      const outcome = await auth.authenticate(request());
      expect(outcome.ok).toBe(true);
      if (outcome.ok)
        expect(outcome.principal).toMatchObject({
          kind: 'hmac',
          environmentId,
          subject: `${CLIENT}/${USER}`,
        });
    }
  });

  it('refuses a timestamp 15:01 old or 1 s in the future, and the wrong client spelling', async () => {
    const auth = authenticator();
    now = issuedMs + 15 * 60_000 + 1_000;
    expect(await auth.authenticate(request())).toMatchObject({
      ok: false,
      failure: { code: 'expired' },
    });
    now = issuedMs - 1_000;
    expect(await auth.authenticate(request())).toMatchObject({
      ok: false,
      failure: { code: 'future' },
    });
    now = issuedMs;
    expect(await auth.authenticate(request({ clientId: 'SANCHEZASSOCIATES' }))).toMatchObject({
      ok: false,
      failure: { code: 'bad_signature' },
    });
  });

  it('answers an unknown user, another environment, or a revoked user like a bad signature', async () => {
    now = issuedMs;
    const auth = authenticator();
    const other = (await new TenantService(storage.db).ensureTenant('other', 'main')).environment
      .id;
    expect(await auth.authenticate(request({ environmentId: other }))).toMatchObject({
      ok: false,
      failure: { code: 'unknown_user' },
    });
    const morty = await module.service.create(environmentId, {
      kind: 'hmac_user',
      name: 'm',
      scopes: ['read'],
      userId: 'Morty',
      privateKey: KEY,
    });
    await module.service.revoke(environmentId, morty.credential.id);
    const header = HEADER.replace(USER, 'Morty');
    expect(await auth.authenticate(request({ authorization: header }))).toMatchObject({
      ok: false,
    });
    expect(
      await auth.authenticate(
        request({ authorization: 'PNAUTHINFO100-SHA256 Credential=a/b Signature=c' }),
      ),
    ).toMatchObject({
      ok: false,
      failure: { code: 'invalid_scheme' },
    });
  });

  it('refuses to replay a signature on a state-changing request, but not on reads', async () => {
    now = issuedMs + 1_000;
    const auth = authenticator();
    expect((await auth.authenticate(request({ stateChanging: true }))).ok).toBe(true);
    expect(await auth.authenticate(request({ stateChanging: true }))).toEqual({
      ok: false,
      failure: { code: 'replayed', message: 'Unable to authenticate request' },
    });
    expect((await auth.authenticate(request({ stateChanging: false }))).ok).toBe(true);
  });

  it('shares replay memory between processes through Redis', async () => {
    const redis = new Redis('redis://127.0.0.1:6379', {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
    const prefix = `tessera-test-${process.pid}-${Date.now()}:`;
    now = issuedMs + 2_000;
    const a = new HmacAuthenticator(
      module.verifier,
      new RedisReplayGuard(redis, prefix),
      () => now,
    );
    const b = new HmacAuthenticator(
      module.verifier,
      new RedisReplayGuard(redis, prefix),
      () => now,
    );
    expect((await a.authenticate(request({ stateChanging: true }))).ok).toBe(true);
    expect((await b.authenticate(request({ stateChanging: true }))).ok).toBe(false);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('accepts both the old and the new key during a rotation', async () => {
    const user = await module.service.create(environmentId, {
      kind: 'hmac_user',
      name: 'r',
      scopes: ['read'],
      userId: 'Rotating',
      privateKey: KEY,
    });
    await module.service.rotate(environmentId, user.credential.id, 'a-brand-new-private-key!');
    const { computeSignature } = await import('./pnauthinfo3.js');
    now = issuedMs;
    const auth = authenticator();
    for (const key of [KEY, 'a-brand-new-private-key!']) {
      const signature = computeSignature(
        { keyed: true, algorithm: 'SHA256', rawUserId: 'Rotating', issuedAt: ISSUED },
        CLIENT,
        key,
      );
      const header = `PNAUTHINFO3-HMAC-SHA256 Credential=Rotating/${ISSUED} Signature=${signature}`;
      expect((await auth.authenticate(request({ authorization: header }))).ok).toBe(true);
    }
  });
});
