import { describe, expect, it } from 'vitest';
import { splitChunks } from './bulk-chunks.js';
import {
  defaultColumnMap,
  derivedMessageId,
  type ImportRecord,
  parseColumnMap,
  readCsv,
  readLines,
  readNdjson,
} from './import-records.js';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

/** A byte stream cut at awkward places: records must not depend on chunk boundaries. */
async function* chunked(text: string, size = 7): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('readLines', () => {
  it('splits LF and CRLF lines across chunk boundaries, multi-byte characters intact', async () => {
    const lines = await collect(readLines(chunked('a€b\r\nsecond\n\nlast')));
    expect(lines).toEqual([
      { line: 1, text: 'a€b' },
      { line: 2, text: 'second' },
      { line: 3, text: '' },
      { line: 4, text: 'last' },
    ]);
  });

  it('skips a line longer than the cap without buffering it, and carries on', async () => {
    const lines = await collect(readLines(chunked(`ok\n${'x'.repeat(50)}\nnext\n`), 20));
    expect(lines).toEqual([
      { line: 1, text: 'ok' },
      { line: 2, tooLong: true },
      { line: 3, text: 'next' },
    ]);
  });
});

describe('readNdjson', () => {
  it('gives lines without messageId a deterministic id from line number and content', async () => {
    const text =
      '{"type":"track","event":"A","userId":"u"}\n\n{"type":"track","event":"A","userId":"u"}\n';
    const first = await collect(readNdjson(chunked(text), 32));
    const again = await collect(readNdjson(chunked(text, 3), 32));
    expect(first.map((r) => r.line)).toEqual([1, 3]);
    expect(first.map((r) => r.event?.messageId)).toEqual(again.map((r) => r.event?.messageId));
    // The same content on another line is another event.
    expect(first[0]!.event!.messageId).not.toBe(first[1]!.event!.messageId);
    expect(first[0]!.event!.messageId).toBe(
      derivedMessageId(1, '{"type":"track","event":"A","userId":"u"}'),
    );
  });

  it('keeps a messageId the line carries', async () => {
    const [record] = await collect(
      readNdjson(chunked('{"type":"track","messageId":"m-1","userId":"u"}'), 32),
    );
    expect(record!.event!.messageId).toBe('m-1');
  });

  it('reports unreadable lines by number and reason', async () => {
    const text = [
      '{bad',
      '[1,2]',
      '{"__proto__":{"x":1}}',
      `${'['.repeat(40)}${']'.repeat(40)}`,
      '{"type":"identify","userId":"\\ud800"}',
      '{"type":"identify","userId":"u","traits":{"\\udc00":1}}',
      '{"type":"identify","userId":"u","traits":{"a":[1e400]}}',
    ].join('\n');
    const records = await collect(readNdjson(chunked(text), 32));
    expect(records.map((r) => [r.line, r.error?.split(':')[0]])).toEqual([
      [1, 'invalid JSON'],
      [2, 'not a JSON object'],
      [3, 'forbidden key "__proto__"'],
      [4, 'not a JSON object'],
      [5, 'a string with an unpaired UTF-16 surrogate'],
      [6, 'a string with an unpaired UTF-16 surrogate in a key'],
      [7, 'a number too large for a double'],
    ]);
    const deep = await collect(
      readNdjson(chunked(`{"a":${'{"a":'.repeat(40)}1${'}'.repeat(41)}`), 32),
    );
    expect(deep[0]!.error).toMatch(/deeper than 32/);
  });
});

describe('parseColumnMap', () => {
  it('maps columns onto event fields and nested traits', () => {
    expect(parseColumnMap('email=traits.email, user_id=userId,city=traits.address.city')).toEqual([
      { column: 'email', field: 'traits.email' },
      { column: 'user_id', field: 'userId' },
      { column: 'city', field: 'traits.address.city' },
    ]);
  });

  it('refuses unknown fields, reserved keys and empty maps', () => {
    expect(() => parseColumnMap('email=emailAddress')).toThrow(/Bad mapping/);
    expect(() => parseColumnMap('x=traits.__proto__')).toThrow(/reserved/);
    expect(() => parseColumnMap('=userId')).toThrow(/Bad mapping/);
    expect(() => parseColumnMap(' , ')).toThrow(/empty/);
  });

  it('maps a header by its names, refusing a reserved key anywhere in a column path', () => {
    expect(defaultColumnMap(['userId', 'traits.email', 'address.city', 'first name'])).toEqual([
      { column: 'userId', field: 'userId' },
      { column: 'traits.email', field: 'traits.email' },
      { column: 'address.city', field: 'traits.address.city' },
      { column: 'first name', field: 'traits.first name' },
    ]);
    for (const column of ['__proto__', 'a.__proto__.polluted', 'traits.constructor', 'x.prototype'])
      expect(() => defaultColumnMap(['userId', column])).toThrow(/reserved key/);
  });
});

describe('readCsv', () => {
  const csv = [
    'user_id,email,first_name,city',
    'u1,a@example.com,"Ann, the first",Paris',
    'u2,b@example.com,Bob',
    'u3,,Cy,"Lyon"',
  ].join('\r\n');

  it('turns each row into an identify through the map, leaving empty cells out', async () => {
    const records = await collect(
      readCsv(
        chunked(csv),
        parseColumnMap(
          'user_id=userId,email=traits.email,first_name=traits.firstName,city=traits.address.city',
        ),
      ),
    );
    const good = records.filter((r) => r.event);
    expect(good.map((r) => r.event)).toEqual([
      {
        type: 'identify',
        userId: 'u1',
        traits: { email: 'a@example.com', firstName: 'Ann, the first', address: { city: 'Paris' } },
        messageId: expect.stringMatching(/^import-/),
      },
      {
        type: 'identify',
        userId: 'u3',
        traits: { firstName: 'Cy', address: { city: 'Lyon' } },
        messageId: expect.stringMatching(/^import-/),
      },
    ]);
    // The short row is reported, not fatal.
    const bad = records.filter((r): r is ImportRecord & { error: string } => !!r.error);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.line).toBe(3);
    expect(bad[0]!.error).toMatch(/malformed CSV/);
    // Same file, same ids.
    const again = await collect(
      readCsv(
        chunked(csv, 5),
        parseColumnMap(
          'user_id=userId,email=traits.email,first_name=traits.firstName,city=traits.address.city',
        ),
      ),
    );
    expect(again.filter((r) => r.event).map((r) => r.event!.messageId)).toEqual(
      good.map((r) => r.event!.messageId),
    );
  });

  it('keeps a stray quote inside a field as text instead of losing the rows after it', async () => {
    const csv = ['userId,name', 'q-0,"Ann"x', 'q-1,Bo', 'q-2,"Cy, the third"'].join('\n');
    const records = await collect(readCsv(chunked(csv), null));
    expect(records.map((r) => r.event?.traits)).toEqual([
      { name: '"Ann"x' },
      { name: 'Bo' },
      { name: 'Cy, the third' },
    ]);
  });

  it('without a map, fills fields named like one and makes the other columns traits', async () => {
    const records = await collect(readCsv(chunked('userId,plan\nu9,pro\n'), null));
    expect(records[0]!.event).toMatchObject({
      type: 'identify',
      userId: 'u9',
      traits: { plan: 'pro' },
    });
  });

  it('stops before anything is read when a mapped column is not in the header', async () => {
    await expect(
      collect(readCsv(chunked(csv), parseColumnMap('mail=traits.email'))),
    ).rejects.toThrow(/not in the CSV header: mail/);
  });
});

describe('splitChunks', () => {
  it('cuts at line ends when it can and reassembles exactly', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${'😀'.repeat(i % 7)}`).join(
      '\n',
    );
    const chunks = splitChunks(text, 64);
    expect(chunks.join('')).toBe(text);
    expect(chunks.slice(0, -1).every((c) => c.endsWith('\n'))).toBe(true);
    const noNewline = splitChunks('😀'.repeat(50), 7);
    expect(noNewline.join('')).toBe('😀'.repeat(50));
    expect(noNewline.every((c) => !/[\uD800-\uDBFF]$/.test(c))).toBe(true);
  });
});
