interface Waiter {
  weight: number;
  grant: () => void;
}

/**
 * A first-come, first-served semaphore: at most `permits` held at once, and the others served
 * in the order they asked. A holder may take several permits (a weight: bytes, say); the first in
 * line then waits until its whole weight is free, and nobody behind it goes first, so a heavy
 * holder is never starved by light ones.
 */
export class Turns {
  #free: number;
  readonly #waiting: Waiter[] = [];
  #next = 0;

  constructor(readonly permits: number) {
    this.#free = permits;
  }

  /** Resolves once `weight` permits (1 to `permits`) are held, after everyone who asked before. */
  acquire(weight = 1): Promise<void> {
    if (!(weight >= 1 && weight <= this.permits)) {
      throw new RangeError(`weight ${weight} is outside 1..${this.permits}`);
    }
    if (this.#next === this.#waiting.length && this.#free >= weight) {
      this.#free -= weight;
      return Promise.resolve();
    }
    return new Promise((grant) => this.#waiting.push({ weight, grant }));
  }

  /** Gives back `weight` permits (as acquired) and wakes whoever they now let in. */
  release(weight = 1): void {
    this.#free += weight;
    while (this.#next < this.#waiting.length) {
      const first = this.#waiting[this.#next]!;
      if (first.weight > this.#free) break;
      this.#free -= first.weight;
      this.#next++;
      first.grant();
    }
    if (this.#next === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#next = 0;
    } else if (this.#next >= 1024) {
      // Drop the granted turns now and then, so that a queue that never empties stays small.
      this.#waiting.splice(0, this.#next);
      this.#next = 0;
    }
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
