import type { CanonicalEvent } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { Turns } from '../../lib/turns.js';
import { isTransientConflict } from '../../storage/errors.js';
import type { StorageEngine } from '../../storage/storage.js';
import { chainIndependent, type EventGroup, groupByProfile } from './batch-groups.js';
import { IngestAttempt, type IngestResult } from './ingest-attempt.js';
import { type Anchor, anchorIdentifiers } from './ingest-target.js';
import type { IngestContext, ProfileClaims } from './ingest-work.js';
import type { ProfileRef } from './profile-ref.js';
import { refKey } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';
import { filterSuppressed, type SuppressionOutcome } from './suppression-filter.js';
import { purgeIdentified } from './suppression-purge.js';
import { WriteConflict } from './write-conflict.js';

export type { IngestResult } from './ingest-attempt.js';
export type { IngestContext, ProfileClaims } from './ingest-work.js';

/** Attempts at a profile's write before `profile_overloaded` (429). */
const MAX_ATTEMPTS = 8;
/** Independent groups of one batch applied at once (see `ingestBatch`). */
const BATCH_CONCURRENCY = 16;
/**
 * Groups of all batches applied at once in this process, in turn: batches finish in the order
 * they came. Without a bound, 50 batches of 16 groups in flight left a few batches waiting
 * seconds behind the others (p99 about 4 s). On SQLite, with 16 commits grew too small
 * (measured: 16, 48 and 96 gave 14.0k, 15.4k and 15.7k events/s, p99 1.0, 1.1 and 1.5 s). A
 * PostgreSQL write waits for its group transaction's round trips and its commit, so more groups
 * in flight fill larger transactions (ingest benchmark, alternating A/B at 20 connections: 48,
 * 96 and 192 gave 10.2k, 12.4–12.8k and 13.9k events/s, with less CPU per event; at 50
 * connections 192 and 384 gave 10.1k and 9.3k).
 */
const GROUPS_AT_ONCE: Record<StorageEngine, number> = { sqlite: 48, postgres: 192 };
/**
 * The messageIds a first write assumes applied: none. A request's events are rarely replays, and
 * the write finds out anyway (the messageIds' unique key: a WriteConflict, then a retry that
 * looks them up), so the lookup before the write would be paid by every request for nothing.
 */
const NONE_SEEN: ReadonlySet<string> = new Set();

/** What happened to some of a batch's events (`indexes`): applied, or refused. */
export interface BatchOutcome {
  indexes: number[];
  result?: IngestResult;
  error?: AppError;
}

/**
 * The hot path: applies validated events to profiles. Per group of events for one profile it
 * resolves the identity, takes the profile's write slot, folds the events with the engine and
 * writes the document, identifiers, merges and events in one group-committed transaction.
 */
export class ProfileIngestService {
  private readonly attempts: IngestAttempt;
  private readonly groupTurns: Turns;
  private readonly lockedTurns = new Turns(1);

  constructor(private readonly repo: ProfileRepository) {
    this.attempts = new IngestAttempt(repo);
    this.groupTurns = new Turns(GROUPS_AT_ONCE[repo.storage.engine]);
  }

  /** Events addressed to one profile (created when `ref` names an identifier nobody holds). */
  ingestForProfile(
    ctx: IngestContext,
    ref: ProfileRef,
    events: CanonicalEvent[],
    claims: ProfileClaims = {},
  ): Promise<IngestResult> {
    // A preflight writes nothing, so nothing would find a replay for it: it looks them up.
    const seen = ctx.preflight ? undefined : NONE_SEEN;
    const anchor = { ref, customId: claims.customId, alongside: claims.alongside, seen };
    return this.ingestGroup(ctx, anchor, refKey(ref), events);
  }

  /**
   * Events that each name their profile (`profileId`, `userId` or `anonymousId`). Events for the
   * same key are applied together, in order; outcomes come in batch order. Groups that share no identifier are applied
   * concurrently (at most `concurrency` at once), so that their writes share group commits and,
   * on PostgreSQL, connections; a group that found its profile overloaded is tried once more
   * after the others.
   */
  async ingestBatch(
    ctx: IngestContext,
    events: CanonicalEvent[],
    concurrency = BATCH_CONCURRENCY,
  ): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = [];
    // Screened as a whole before grouping: a page view grouped under an anonymous id that a
    // later identify in the same batch ties to an opted-out user is never stored.
    const screened = await this.screenBatch(ctx, events);
    if (screened.dropped > 0) {
      const result = { profile: null, applied: 0, duplicates: 0, suppressed: screened.dropped };
      outcomes.push({ indexes: screened.droppedIndexes, result });
    }
    const seen = await this.repo.dedupe.findSeen(
      ctx.environmentId,
      screened.kept.map((e) => e.messageId),
    );
    const groups = groupByProfile(events, new Set(screened.droppedIndexes));
    const chains = chainIndependent(groups);
    const holders = await this.holdersOf(ctx, chains);
    const overloaded: EventGroup[] = [];
    const applyChains = async () => {
      for (let chain = chains.shift(); chain; chain = chains.shift()) {
        for (const [at, group] of chain.entries()) {
          // What the first group of a chain stores can change what the next one resolves to.
          const known = at === 0 ? holders : undefined;
          const outcome = await this.groupTurns.run(() =>
            this.ingestScreenedGroup(ctx, group, seen, known),
          );
          if (outcome.error?.code === 'profile_overloaded') overloaded.push(group);
          else outcomes.push(outcome);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, applyChains));
    for (const group of overloaded) outcomes.push(await this.ingestScreenedGroup(ctx, group));
    // In batch order (by each outcome's first event), whatever order the chains finished in.
    return outcomes.sort((a, b) => a.indexes[0]! - b.indexes[0]!);
  }

  /**
   * The holders of the identifiers the first group of each chain resolves its profile by, in
   * one statement for the whole batch (instead of one per group). Only a first attempt trusts
   * them: a profile changed meanwhile fails the write's version check and is read again.
   */
  private async holdersOf(ctx: IngestContext, chains: EventGroup[][]) {
    const identifiers = chains.flatMap(([group]) => {
      const first = group!.events[0]!;
      return first.profileId ? [] : anchorIdentifiers(first);
    });
    return identifiers.length > 1
      ? this.repo.profiles.findByIdentifiers(ctx.environmentId, identifiers)
      : undefined;
  }

  /** One group of a screened batch; a refusal (4xx) is its outcome, not the batch's. */
  private async ingestScreenedGroup(
    ctx: IngestContext,
    group: EventGroup,
    seen?: ReadonlySet<string>,
    holders?: Anchor['holders'],
  ): Promise<BatchOutcome> {
    const first = group.events[0]!;
    const anchor: Anchor = first.profileId
      ? { ref: { kind: 'id', id: first.profileId }, seen }
      : { event: first, screened: true, seen, holders };
    try {
      const result = await this.ingestGroup(ctx, anchor, group.key, group.events);
      return { indexes: group.indexes, result };
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return { indexes: group.indexes, error };
    }
  }

  /**
   * Drops the events of opted-out people from a whole request or import batch, and erases what
   * anonymous ids it identifies as such a person collected (unless preflight).
   */
  private async screenBatch(
    ctx: IngestContext,
    events: CanonicalEvent[],
  ): Promise<SuppressionOutcome> {
    if (!this.repo.suppressions) {
      return { kept: events, droppedIndexes: [], dropped: 0, purge: [] };
    }
    const screened = await filterSuppressed(this.repo.suppressions, ctx.environmentId, events);
    if (screened.purge.length > 0 && !ctx.preflight)
      await purgeIdentified(this.repo, ctx.environmentId, screened.purge);
    return screened;
  }

  private async ingestGroup(
    ctx: IngestContext,
    anchor: Anchor,
    slotKey: string,
    events: CanonicalEvent[],
  ): Promise<IngestResult> {
    return this.repo.slots.run(`${ctx.environmentId}/${slotKey}`, async () => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        try {
          if (attempt === 1) return await this.attempts.run(ctx, anchor, events);
          // A retry looks again at everything its first attempt took as known: replays, and
          // opt-outs (an erasure that made the write conflict may have come with one).
          const again = { ...anchor, seen: undefined, retry: true, screened: false };
          return this.repo.storage.engine === 'postgres'
            ? await this.lockedAttempt(ctx, again, events)
            : await this.attempts.run(ctx, again, events);
        } catch (error) {
          if (!(error instanceof WriteConflict) && !isTransientConflict(error)) throw error;
          // SQLite, several processes: the one that keeps winning is writing in bursts; a random
          // pause after the second loss lets this one in (PostgreSQL retries under a row lock).
          if (attempt >= 2 && this.repo.storage.engine !== 'postgres')
            await new Promise((resolve) =>
              setTimeout(resolve, Math.random() * Math.min(64, 2 ** attempt)),
            );
        }
      }
      throw new AppError('profile_overloaded');
    });
  }

  /**
   * PostgreSQL, after a lost version race: the attempt runs in a transaction of its own, reading
   * through it and locking the profile rows it reads (FOR UPDATE). It waits for any transaction
   * that holds them, in this process or another, so a writer that keeps winning cannot starve
   * it; and it locks nothing else before, so it cannot take part in a deadlock cycle of group
   * transactions (whose jobs fail fast on locks instead). One at a time per process: each holds
   * a pool connection while other modules' reads (suppressions, definitions, consents) take
   * another, and several at once could hold the whole pool while waiting for one more. (On
   * SQLite an ordinary retry already reads the latest version: in one process reads share the
   * writer's one connection and wait for the transaction in progress, and another process's
   * commit is visible to the next read in WAL mode.)
   */
  private lockedAttempt(
    ctx: IngestContext,
    anchor: Anchor,
    events: CanonicalEvent[],
  ): Promise<IngestResult> {
    return this.lockedTurns.run(() =>
      this.repo.storage.db
        .transaction()
        .execute((trx) => new IngestAttempt(this.repo.inTransaction(trx)).run(ctx, anchor, events)),
    );
  }
}
