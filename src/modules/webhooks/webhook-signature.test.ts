import { describe, expect, it } from 'vitest';
import { newSigningSecret, signWebhook, verifyWebhook } from './webhook-signature.js';

describe('Standard Webhooks signatures', () => {
  it('reproduce the published reference vector, so receivers’ libraries accept them', () => {
    expect(
      signWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verify among several signatures and refuse a changed body', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const header = `v1,bm9wZQ== ${signWebhook(secret, 'id1', 10, '{}')}`;
    expect(verifyWebhook(secret, 'id1', 10, '{}', header)).toBe(true);
    expect(verifyWebhook(secret, 'id1', 10, '{"a":1}', header)).toBe(false);
    expect(verifyWebhook(secret, 'id1', 11, '{}', header)).toBe(false);
  });
});
