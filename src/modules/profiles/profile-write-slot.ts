import { AppError } from '../../errors/app-error.js';

/**
 * One write at a time per profile within this process: requests for the same profile wait in a
 * FIFO queue instead of racing (the version check in storage covers other processes). When more
 * than `maxWaiting` requests already wait on one profile, the next is refused with
 * `profile_overloaded` (429) rather than piling up memory and latency.
 */
export class ProfileWriteSlots {
  private readonly tails = new Map<string, { tail: Promise<void>; waiting: number }>();

  constructor(private readonly maxWaiting: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.tails.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (entry.waiting >= this.maxWaiting) throw new AppError('profile_overloaded');
    entry.waiting++;
    this.tails.set(key, entry);
    const previous = entry.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    entry.tail = previous.then(() => mine);
    try {
      await previous;
      return await task();
    } finally {
      release();
      entry.waiting--;
      if (entry.waiting === 0) this.tails.delete(key);
    }
  }
}
