import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('shares one load among the callers that come while it runs, then loads again', async () => {
    const flights = new SingleFlight<number>();
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return loads;
    };
    expect(await Promise.all([flights.run('k', load), flights.run('k', load)])).toEqual([1, 1]);
    expect(await flights.run('other', load)).toBe(2);
    expect(await flights.run('k', load)).toBe(3);
  });

  it('starts a new load after forget, and a failed load is not kept', async () => {
    const flights = new SingleFlight<string>();
    const first = flights.run('k', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'old';
    });
    flights.forget('k');
    const second = flights.run('k', async () => 'new');
    expect(await Promise.all([first, second])).toEqual(['old', 'new']);
    await expect(flights.run('k', async () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    expect(await flights.run('k', async () => 'again')).toBe('again');
  });
});
