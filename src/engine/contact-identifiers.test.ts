import { describe, expect, it } from 'vitest';
import { contactIdentifiersOf } from './contact-identifiers.js';

describe('contactIdentifiersOf', () => {
  it.each([
    [{ email: ' Ann@Example.COM ' }, [{ type: 'email', value: 'ann@example.com' }]],
    [{ phone: '+44 (0)20 7946-0958' }, [{ type: 'phone', value: '+4402079460958' }]],
    [
      { email: 'a@b.co', phone: '555-0101' },
      [
        { type: 'email', value: 'a@b.co' },
        { type: 'phone', value: '5550101' },
      ],
    ],
    [{ email: 'not an email' }, []],
    [{ email: 42, phone: true }, []],
    [{ phone: '12' }, []],
    [{}, []],
  ])('%j → %j', (traits, expected) => {
    expect(contactIdentifiersOf({ type: 'identify', traits: traits as never })).toEqual(expected);
  });

  it('reads identify events only', () => {
    expect(contactIdentifiersOf({ type: 'track', traits: { email: 'a@b.co' } })).toEqual([]);
  });
});
