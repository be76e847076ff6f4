/**
 * One load at a time per key: callers that come while one runs share its answer. A cache whose
 * entries expire would otherwise send every caller of the moment it expired to the database
 * (under load, dozens of identical reads).
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    let running = this.#running.get(key);
    if (!running) {
      running = load().finally(() => {
        if (this.#running.get(key) === running) this.#running.delete(key);
      });
      this.#running.set(key, running);
    }
    return running;
  }

  /** Later callers start a load of their own (what is running may already be out of date). */
  forget(key: string): void {
    this.#running.delete(key);
  }
}
