/**
 * How long after another process's last commit this process still assumes others are writing.
 * Processes that write together keep committing, so a gap between two observations is no proof
 * that the other one stopped.
 */
const SETTLE_MS = 1000;

/** What a storage tells of other processes' commits (see ForeignCommits). */
export interface ForeignCommitWatch {
  /**
   * A token that changes whenever another process is seen to have committed; undefined while
   * others have been writing lately (then nothing read or written before can be taken as
   * current without reading it again).
   */
  epoch(): number | undefined;
  /**
   * Resolves once the database has been asked, after this call, whether another process has
   * committed: what a read that answers from what this process keeps waits for, so that it sees
   * a commit acknowledged a moment before the read arrived.
   */
  refreshed(): Promise<void>;
}

/**
 * SQLite: notices commits of other processes (or any other connection) to the same file.
 * `PRAGMA data_version` changes when another connection has committed, never for this one's own
 * commits. Reading it costs a read transaction (two lock calls on the shared memory: about 15 %
 * of a read's CPU under load when read per request), so writes read it once per group
 * transaction (`observe`, under this process's write lock), and the reads that answer from what
 * this process keeps share one reading per turn of the event loop (`refreshed`).
 */
export class ForeignCommits implements ForeignCommitWatch {
  private observed: number;
  private changedAt = Number.NEGATIVE_INFINITY;
  private nextReading: Promise<void> | undefined;

  constructor(
    private readonly dataVersion: () => number,
    private readonly now: () => number = Date.now,
  ) {
    this.observed = dataVersion();
  }

  /** Called at the start of each group transaction, and by `refreshed`. */
  observe(): void {
    const current = this.dataVersion();
    if (current === this.observed) return;
    this.observed = current;
    this.changedAt = this.now();
  }

  epoch(): number | undefined {
    return this.now() - this.changedAt < SETTLE_MS ? undefined : this.observed;
  }

  /**
   * One reading for every caller until it runs: it runs after the requests of this turn of the
   * event loop have been received and handed here (setImmediate follows the turn's socket
   * reads), so it is later than each of their arrivals, which is all each one needs.
   */
  refreshed(): Promise<void> {
    this.nextReading ??= new Promise((resolve, reject) =>
      setImmediate(() => {
        this.nextReading = undefined;
        try {
          this.observe();
          resolve();
        } catch (error) {
          reject(error);
        }
      }),
    );
    return this.nextReading;
  }
}
