import { describe, expect, it } from 'vitest';
import { Turns } from './turns.js';

async function holdAll(turns: Turns, count: number) {
  const order: number[] = [];
  let holding = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      turns.run(async () => {
        holding += 1;
        most = Math.max(most, holding);
        order.push(i);
        await Promise.resolve();
        await Promise.resolve();
        holding -= 1;
      }),
    ),
  );
  return { order, most };
}

describe('Turns', () => {
  it('with one permit: one holder at a time, in the order they asked, over many queued turns', async () => {
    const { order, most } = await holdAll(new Turns(1), 3000);
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('with several permits: at most that many holders, started in the order they asked', async () => {
    const turns = new Turns(4);
    const { order, most } = await holdAll(turns, 2000);
    expect(most).toBe(4);
    expect(order).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    // Every permit is free again.
    await Promise.all([1, 2, 3, 4].map(() => turns.acquire()));
  });

  it('releases the turn of a task that throws', async () => {
    const turns = new Turns(1);
    await expect(turns.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await turns.run(async () => undefined);
  });

  it('with weights: the first in line waits for its whole weight, and nobody behind it goes first', async () => {
    const turns = new Turns(10);
    const granted: string[] = [];
    await turns.acquire(6);
    const heavy = turns.acquire(8).then(() => granted.push('heavy'));
    const light = turns.acquire(1).then(() => granted.push('light'));
    await Promise.resolve();
    // 4 permits are free, enough for the light one, but the heavy one asked first.
    expect(granted).toEqual([]);
    turns.release(6);
    // 10 free: the heavy one, then the light one in the 2 left.
    await Promise.all([heavy, light]);
    expect(granted).toEqual(['heavy', 'light']);
    turns.release(8);
    turns.release(1);
    await turns.acquire(10);
  });

  it('refuses a weight it could never grant', () => {
    const turns = new Turns(4);
    expect(() => turns.acquire(5)).toThrow(RangeError);
    expect(() => turns.acquire(0)).toThrow(RangeError);
  });
});
