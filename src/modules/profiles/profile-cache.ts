import type { ProfileState } from '../../engine/types.js';
import type { ForeignCommitWatch } from '../../storage/foreign-commits.js';

export interface CachedProfile {
  readonly version: number;
  readonly state: ProfileState;
  /** The storage's foreign-commit epoch when it was kept (see `trusted`). */
  readonly epoch: number | undefined;
  /** Length of the document's stored JSON: what the cache's budget counts. */
  readonly bytes: number;
}

/** Identifier hints kept at most (each a short key and an id). */
const MAX_HOLDER_HINTS = 10_000;
/** Ids of profiles deleted lately that are never kept again (see `forgetDeleted`). */
const MAX_DELETED_IDS = 10_000;

/**
 * Parsed profile documents by id, each with the version it was stored under, as this process
 * last read or wrote them (documents of transactions still open are never given to it: they may
 * yet roll back, and another writer then store a different document under that version). A
 * version names one document for good (every write stores version + 1 under a version check, and
 * ids are never reused), so an entry is never wrong, only old: a read still asks the database for
 * the row's version and takes the document from here only when the versions agree (the query then
 * leaves the document out, which saves reading and parsing it).
 *
 * Only live documents are kept (a profile merged away or deleted is forgotten, and a read of one
 * keeps nothing). The same version always yields the same object, so what is derived from a
 * document (a presented answer) can be kept by object. The objects are shared: the engine never
 * mutates a state, and nothing else may either.
 *
 * Where the storage tells when another process has committed (`foreignEpoch`, SQLite), an entry
 * kept since no other process was seen to commit anything is `trusted`: still the stored document
 * as far as anyone can tell without reading it (a write that starts from it proves it with its
 * version check, or is retried from a read; a read that answers with it asks the database's
 * commit counter first, and relies on every write of this process dropping the version it
 * replaces: see ProfileStore.rows).
 *
 * Bounded by the stored size of what it keeps (`maxBytes` of JSON; parsed, a document takes two
 * to three times that in the heap), least recently used first out. 0 keeps nothing.
 */
export class ProfileCache {
  private readonly entries = new Map<string, CachedProfile>();
  private bytes = 0;
  /** Which profile an identifier named when last read: a hint for the lookup's query only. */
  private readonly holders = new Map<string, string>();
  /** Profiles deleted in this process lately, oldest first (see `forgetDeleted`). */
  private readonly deleted = new Set<string>();

  constructor(
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly foreign?: ForeignCommitWatch,
  ) {}

  /** What this process holds of `id`: its document and the version it was stored under. */
  get(id: string): CachedProfile | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Re-inserted: the Map's order is the eviction order, least recently used first.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  /**
   * The entry of `id` if no other process was seen to commit since it was kept: what a write may
   * start from without reading, its version check being the proof (a miss costs a retry).
   */
  trusted(id: string): CachedProfile | undefined {
    const entry = this.entries.get(id);
    if (entry?.epoch === undefined || entry.epoch !== this.foreign?.epoch()) return undefined;
    return this.get(id);
  }

  /**
   * As {@link trusted}, after asking the database (see ForeignCommitWatch.refreshed): for a read
   * that answers with the entry itself, and so must see a commit another process made a moment
   * ago. An entry not trusted before asking is not trusted after (the epoch only moves on).
   */
  async trustedNow(id: string): Promise<CachedProfile | undefined> {
    if (!this.foreign || !this.trusted(id)) return undefined;
    await this.foreign.refreshed();
    return this.trusted(id);
  }

  /**
   * A read of committed data found `version` still stored: the entry is as current as that read,
   * so it may be trusted again from now on (an entry kept before another process committed
   * stays untrusted until then, however many reads find it unchanged).
   */
  confirm(id: string, version: number): void {
    const entry = this.entries.get(id);
    if (entry?.version !== version) return;
    const epoch = this.foreign?.epoch();
    if (entry.epoch !== epoch) this.entries.set(id, { ...entry, epoch });
  }

  /**
   * Keeps a document as stored under `version` (committed, or read), `bytes` its stored JSON's
   * length; an older version than the one kept is ignored, and so is a document over the budget.
   */
  remember(state: ProfileState, version: number, bytes: number): void {
    if (this.deleted.has(state.id)) return;
    const current = this.entries.get(state.id);
    if (current && current.version >= version) return;
    // An older version is dropped even when the new one is not kept: it is no longer current.
    this.forget([state.id]);
    if (bytes > this.maxBytes) return;
    this.entries.set(state.id, { version, state, epoch: this.foreign?.epoch(), bytes });
    this.bytes += bytes;
    for (const [id, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
  }

  /** Drops what is kept of deleted or merged-away profiles (nothing of theirs lingers here). */
  forget(ids: readonly string[]): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
  }

  /**
   * Drops deleted profiles for good: a write or read of one that finished just before the
   * deletion committed, and remembers it just after, must not bring its document back (an
   * erased person's data would be served from memory). Ids are never reused, and such a
   * straggler follows its deletion within moments, so the latest few thousand ids suffice.
   */
  forgetDeleted(ids: readonly string[]): void {
    this.forget(ids);
    for (const id of ids) {
      this.deleted.add(id);
      if (this.deleted.size > MAX_DELETED_IDS)
        this.deleted.delete(this.deleted.values().next().value!);
    }
  }

  /** The profile an identifier was last seen on ('' when unknown). */
  holderHint(key: string): string {
    return this.holders.get(key) ?? '';
  }

  noteHolder(key: string, id: string): void {
    if (this.maxBytes === 0 || this.holders.get(key) === id) return;
    this.holders.delete(key);
    this.holders.set(key, id);
    if (this.holders.size > MAX_HOLDER_HINTS)
      this.holders.delete(this.holders.keys().next().value!);
  }
}
