import { describe, expect, it } from 'vitest';
import { ForeignCommits } from './foreign-commits.js';

describe('ForeignCommits', () => {
  it('keeps its token while no other connection commits, and none for a second after one did', () => {
    let version = 1;
    let now = 0;
    const foreign = new ForeignCommits(
      () => version,
      () => now,
    );
    foreign.observe();
    expect(foreign.epoch()).toBe(1);
    version = 2;
    expect(foreign.epoch()).toBe(1); // not observed yet: a write's version check finds it out
    now = 10;
    foreign.observe();
    expect(foreign.epoch()).toBeUndefined();
    now = 900;
    foreign.observe();
    expect(foreign.epoch()).toBeUndefined();
    now = 1011;
    expect(foreign.epoch()).toBe(2);
  });

  it('reads the counter once for every read waiting in one turn of the event loop, after they asked', async () => {
    let readings = 0;
    let version = 1;
    const foreign = new ForeignCommits(() => {
      readings++;
      return version;
    });
    const waiting = [foreign.refreshed(), foreign.refreshed(), foreign.refreshed()];
    version = 2; // a commit after the reads asked, before the reading: seen by all of them
    await Promise.all(waiting);
    expect(readings).toBe(2); // the constructor's, then one shared reading
    expect(foreign.epoch()).toBeUndefined();
    await foreign.refreshed(); // a later read gets a reading of its own
    expect(readings).toBe(3);
  });

  it('fails the waiting reads when the counter cannot be read', async () => {
    let broken = false;
    const foreign = new ForeignCommits(() => {
      if (broken) throw new Error('database closed');
      return 1;
    });
    broken = true;
    await expect(foreign.refreshed()).rejects.toThrow('database closed');
    broken = false;
    await expect(foreign.refreshed()).resolves.toBeUndefined();
  });
});
