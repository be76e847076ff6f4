import { describe, expect, it } from 'vitest';
import { jsonArray } from './export-routes.js';

const line = (id: string) =>
  JSON.stringify({
    id,
    identifiers: [{ type: 'customId', value: `c-${id}` }],
    traits: { city: 'Oslo', tier: 'gold' },
    metadata: {
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T00:00:00.000Z',
      lastActivityTime: null,
    },
  });

async function collect(chunks: string[]) {
  async function* source() {
    yield* chunks;
  }
  let text = '';
  for await (const part of jsonArray(source())) text += part;
  return JSON.parse(text);
}

describe('jsonArray: an export NDJSON as a JSON array of clients', () => {
  it('joins lines cut anywhere across chunks', async () => {
    const text = `${line('a')}\n${line('b')}\n${line('c')}`;
    for (const cut of [1, 17, text.indexOf('\n'), text.indexOf('\n') + 1, text.length - 3]) {
      const clients = await collect([text.slice(0, cut), text.slice(cut)]);
      expect(
        clients.map((c: { clientId: string }) => c.clientId),
        `cut at ${cut}`,
      ).toEqual(['a', 'b', 'c']);
      expect(clients[0]).toMatchObject({
        customId: 'c-a',
        city: 'Oslo',
        attributes: { tier: 'gold' },
      });
    }
  });

  it('answers [] for an empty export', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect(['', '\n'])).toEqual([]);
  });
});

describe('jsonArray with tags', () => {
  it('looks tags up once per chunk of whole lines, and answers [] for untagged clients', async () => {
    const pages: string[][] = [];
    async function* source() {
      yield `${line('a')}\n${line('b')}\n${line('c').slice(0, 10)}`;
      yield `${line('c').slice(10)}\n`;
    }
    let text = '';
    for await (const part of jsonArray(source(), async (profiles) => {
      pages.push(profiles.map((p) => p.id));
      return new Map([['b', ['vip']]]);
    }))
      text += part;
    expect(pages).toEqual([['a', 'b'], ['c']]);
    expect(JSON.parse(text).map((c: { tags: string[] }) => c.tags)).toEqual([[], ['vip'], []]);
  });
});
