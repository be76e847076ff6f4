import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { ProfileWriteSlots } from './profile-write-slot.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ProfileWriteSlots', () => {
  it('runs tasks for one key one at a time, in arrival order', async () => {
    const slots = new ProfileWriteSlots(10);
    const order: string[] = [];
    const gate = deferred();
    const first = slots.run('p', async () => {
      order.push('first:start');
      await gate.promise;
      order.push('first:end');
    });
    const second = slots.run('p', async () => {
      order.push('second');
    });
    await Promise.resolve();
    expect(order).toEqual(['first:start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:start', 'first:end', 'second']);
  });

  it('refuses with profile_overloaded once maxWaiting requests are queued on one key', async () => {
    const slots = new ProfileWriteSlots(2);
    const gate = deferred();
    const running = slots.run('p', () => gate.promise);
    const queued = slots.run('p', async () => 'queued');
    await expect(slots.run('p', async () => 'refused')).rejects.toMatchObject({
      code: 'profile_overloaded',
      status: 429,
    });
    // Other profiles are not affected.
    await expect(slots.run('q', async () => 'other')).resolves.toBe('other');
    gate.resolve();
    await running;
    await expect(queued).resolves.toBe('queued');
    // Once drained, the key accepts work again.
    await expect(slots.run('p', async () => 'again')).resolves.toBe('again');
  });

  it('releases the slot when a task fails', async () => {
    const slots = new ProfileWriteSlots(1);
    await expect(
      slots.run('p', async () => Promise.reject(new AppError('not_found'))),
    ).rejects.toBeInstanceOf(AppError);
    await expect(slots.run('p', async () => 'ok')).resolves.toBe('ok');
  });
});
