import { describe, expect, it } from 'vitest';
import cases from './cases/pnauthinfo3.json' with { type: 'json' };
import {
  computeSignature,
  DEFAULT_PN_AUTH_WINDOW_SECONDS,
  PN_AUTH_MESSAGES,
  type PnAuthFailureCode,
  type PnAuthHeader,
  type PnSignedFields,
  parseIssuedAt,
  parsePnAuthHeader,
  pnAuthChallenge,
  pnAuthFailure,
  signingMessage,
  verifyPnAuth,
} from './pnauthinfo3.js';

// Signatures in the cases were computed with `openssl dgst -hmac` / `openssl dgst`, not with this
// module, so a wrong message format or encoding cannot agree with itself.

type Expected = { ok: true } | { ok: false; code: PnAuthFailureCode; message: string };

interface SignatureCase {
  name: string;
  fields: PnSignedFields;
  privateKey?: string;
  message: string;
  signature: string;
}

interface IssuedAtCase {
  name: string;
  text: string;
  /** ISO instant, or null for "not a valid issued timestamp". */
  expected: string | null;
}

interface ParseCase {
  name: string;
  header: string | null;
  expected: { ok: true; header: PnAuthHeader } | { ok: false; code: string; message: string };
}

interface VerifyCase {
  name: string;
  header: string;
  clientId?: string;
  privateKey?: string;
  windowSeconds?: number;
  now: string;
  expected: Expected;
}

const { defaults } = cases;

describe('signingMessage and computeSignature', () => {
  it.each(cases.signatures as SignatureCase[])('$name', (c) => {
    const privateKey = c.privateKey ?? defaults.privateKey;
    expect(signingMessage(c.fields, defaults.clientId, privateKey)).toBe(c.message);
    expect(computeSignature(c.fields, defaults.clientId, privateKey)).toBe(c.signature);
  });
});

describe('parseIssuedAt', () => {
  it.each(cases.issuedAt as IssuedAtCase[])('$name: $text', ({ text, expected }) => {
    const ms = parseIssuedAt(text);
    if (expected === null) expect(ms).toBeNaN();
    else expect(new Date(ms).toISOString()).toBe(expected);
  });
});

describe('parsePnAuthHeader', () => {
  it.each(cases.parse as ParseCase[])('$name', ({ header, expected }) => {
    const result = parsePnAuthHeader(header ?? undefined);
    if (expected.ok) {
      expect(result).toEqual({ ok: true, header: expected.header });
    } else {
      expect(result).toEqual({
        ok: false,
        failure: { code: expected.code, message: expected.message },
      });
    }
  });

  it('never throws on hostile input', () => {
    const inputs = [
      'PNAUTHINFO3-HMAC-SHA256 =',
      'PNAUTHINFO3-HMAC-SHA256 ,,, ,',
      'PNAUTHINFO3-HMAC-SHA256 Credential="/" Signature="',
      `PNAUTHINFO3-HMAC-SHA256 Credential=${'%'.repeat(10_000)}/x Signature=AAAA`,
      `PNAUTHINFO3-HMAC-SHA256 ${'a='.repeat(10_000)}`,
      'PNAUTHINFO3-HMAC-SHA256 Credential=\u0000/\uD800 Signature=\uFFFF',
    ];
    for (const input of inputs) {
      const result = parsePnAuthHeader(input);
      expect(result.ok).toBe(false);
    }
  });
});

describe('verifyPnAuth', () => {
  it.each(cases.verify as VerifyCase[])('$name', (c) => {
    const parsed = parsePnAuthHeader(c.header);
    if (!parsed.ok) throw new Error(`case header does not parse: ${parsed.failure.code}`);
    const result = verifyPnAuth({
      header: parsed.header,
      clientId: c.clientId ?? defaults.clientId,
      privateKey: c.privateKey ?? defaults.privateKey,
      now: Date.parse(c.now),
      windowSeconds: c.windowSeconds ?? defaults.windowSeconds,
    });
    if (c.expected.ok) expect(result).toEqual({ ok: true });
    else {
      expect(result).toEqual({
        ok: false,
        failure: { code: c.expected.code, message: c.expected.message },
      });
    }
  });

  const docHeader: PnAuthHeader = {
    keyed: true,
    algorithm: 'SHA256',
    userId: 'RickSanchez',
    rawUserId: 'RickSanchez',
    issuedAt: '2015-08-10T20:11:00',
    signature: 'Lbhe+fKoQPZhzUYWHMVADC4BhqtAMQkfAfpR6Wzbxe0=',
  };
  const base = {
    clientId: 'SanchezAssociates',
    privateKey: 'SeemslikearareopportunityMorty!',
    now: Date.parse('2015-08-10T20:12:00Z'),
    windowSeconds: DEFAULT_PN_AUTH_WINDOW_SECONDS,
  };

  it('fails cleanly, without throwing, on signatures the parser would have refused', () => {
    const signatures = [
      '',
      '!!!!not-base64!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      'Lbhe+fKoQPZhzUYWHMVADC4BhqtAMQkfAfpR6Wzbxe0',
      ` ${docHeader.signature}`,
      'Lbhe+fKoQPZhzUYWHMVADC4BhqtAMQkfAfpR6Wzbxé=',
      '\uD800'.repeat(44),
    ];
    for (const signature of signatures) {
      const result = verifyPnAuth({ ...base, header: { ...docHeader, signature } });
      expect(result).toEqual({ ok: false, failure: pnAuthFailure('bad_signature') });
    }
  });

  it('rejects an unparseable timestamp in a hand-built header', () => {
    const result = verifyPnAuth({ ...base, header: { ...docHeader, issuedAt: 'soon' } });
    expect(result).toEqual({ ok: false, failure: pnAuthFailure('bad_timestamp') });
  });

  it('defaults to the documented 15-minute window', () => {
    expect(DEFAULT_PN_AUTH_WINDOW_SECONDS).toBe(900);
  });

  it('refuses a misconfigured window or clock instead of never expiring', () => {
    for (const windowSeconds of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(() => verifyPnAuth({ ...base, header: docHeader, windowSeconds })).toThrow(RangeError);
    }
    expect(() => verifyPnAuth({ ...base, header: docHeader, now: Number.NaN })).toThrow(RangeError);
  });
});

describe('PN_AUTH_MESSAGES', () => {
  it('uses the documented 401 texts', () => {
    expect(PN_AUTH_MESSAGES).toEqual({
      missing: 'Missing Authorization Header',
      invalid_scheme:
        'Invalid Authorization Header: The scheme is invalid. The scheme should contain either PNAUTHINFO3- or PNAUTHINFO3-HMAC-. For example: PNAUTHINFO3-HMAC-SHA256.',
      malformed: 'Unable to authenticate request',
      bad_timestamp: 'The specified date does not match an expected ISO 8601 format',
      future: 'The specified date does not match an expected ISO 8601 format',
      expired: 'The difference between the issued timestamp and the current time is too large',
      bad_signature: 'Unable to authenticate request',
      replayed: 'Unable to authenticate request',
      unknown_user: 'Unable to authenticate request',
    });
  });

  it('gives an unknown user the same message as a bad signature', () => {
    expect(pnAuthFailure('unknown_user')).toEqual({
      code: 'unknown_user',
      message: 'Unable to authenticate request',
    });
  });
});

describe('pnAuthChallenge', () => {
  it('formats the documented WWW-Authenticate value', () => {
    expect(pnAuthChallenge('https://pm.mypreferences.com')).toBe(
      'PNAUTHINFO3 realm="https://pm.mypreferences.com"',
    );
  });

  it('escapes quotes and backslashes in the realm', () => {
    expect(pnAuthChallenge('a"b\\c')).toBe('PNAUTHINFO3 realm="a\\"b\\\\c"');
  });
});
