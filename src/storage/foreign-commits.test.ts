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
});
