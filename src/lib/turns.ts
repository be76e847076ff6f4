/**
 * A first-come, first-served semaphore: at most `permits` holders at once, and the others served
 * in the order they asked. (Releasing a turn wakes exactly one waiter.)
 */
export class Turns {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  #next = 0;

  constructor(permits: number) {
    this.#free = permits;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting[this.#next];
    if (!next) {
      this.#free++;
      this.#waiting.length = 0;
      this.#next = 0;
      return;
    }
    this.#next++;
    // Drop the granted turns now and then, so that a queue that never empties stays small.
    if (this.#next >= 1024) {
      this.#waiting.splice(0, this.#next);
      this.#next = 0;
    }
    next();
  }

  /** Runs `task` in a turn of its own. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
