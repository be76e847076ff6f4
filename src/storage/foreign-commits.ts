/**
 * How long after another process's last commit this process still assumes others are writing.
 * Processes that write together keep committing, so a gap between two observations is no proof
 * that the other one stopped.
 */
const SETTLE_MS = 1000;

/**
 * SQLite: notices commits of other processes (or any other connection) to the same file.
 * `PRAGMA data_version` changes when another connection has committed, never for this one's own
 * commits. Reading it costs a read transaction (two lock calls on the shared memory), so writes
 * read it once per group transaction (`observe`, under this process's write lock), not once per
 * request; only a read about to answer from what this process keeps, without a statement of its
 * own, reads it first (much cheaper than the statement it saves).
 */
export class ForeignCommits {
  private observed: number;
  private changedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dataVersion: () => number,
    private readonly now: () => number = Date.now,
  ) {
    this.observed = dataVersion();
  }

  /** Called at the start of each group transaction, and before a read that trusts the cache. */
  observe(): void {
    const current = this.dataVersion();
    if (current === this.observed) return;
    this.observed = current;
    this.changedAt = this.now();
  }

  /**
   * A token that changes whenever another process is seen to have committed; undefined while
   * others have been writing lately (then nothing read or written before can be taken as
   * current without reading it again).
   */
  epoch(): number | undefined {
    return this.now() - this.changedAt < SETTLE_MS ? undefined : this.observed;
  }
}
