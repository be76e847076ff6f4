import { applyEvent } from '../../engine/index.js';
import type { CanonicalEvent, ProfileState } from '../../engine/types.js';
import { newId } from '../../lib/ids.js';
import { ingestChanges } from '../webhooks/profile-changes.js';
import { IdentityStep } from './identity-step.js';
import { persistWork } from './ingest-persist.js';
import { type Anchor, claimCustomId, findExisting, resolveTarget } from './ingest-target.js';
import type { IngestContext } from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';
import { filterSuppressed, type SuppressionOutcome } from './suppression-filter.js';
import { purgeIdentified } from './suppression-purge.js';
import { WriteConflict } from './write-conflict.js';

export interface IngestResult {
  /** The profile after the events (null when nothing was applied to a profile that does not exist). */
  profile: ProfileState | null;
  applied: number;
  duplicates: number;
  /** Events of opted-out people: acknowledged and dropped. */
  suppressed: number;
}

/**
 * One attempt at applying a group of events to one profile: it drops replays and opted-out
 * people's events, resolves the profile, folds the events (identity, traits, the extensions'
 * `afterEvent`), collects the change events and writes it all in one group-committed job. A
 * lost version race fails it with a WriteConflict; ProfileIngestService retries it.
 */
export class IngestAttempt {
  private readonly identity: IdentityStep;

  constructor(private readonly repo: ProfileRepository) {
    this.identity = new IdentityStep(repo);
  }

  async run(ctx: IngestContext, anchor: Anchor, events: CanonicalEvent[]): Promise<IngestResult> {
    const unseen = await this.dropDuplicates(ctx.environmentId, events, anchor.seen);
    const duplicates = events.length - unseen.length;
    const screened =
      this.repo.suppressions && !anchor.screened
        ? await filterSuppressed(
            this.repo.suppressions,
            ctx.environmentId,
            unseen,
            'ref' in anchor ? anchor.ref : undefined,
          )
        : ({ kept: unseen, droppedIndexes: [], dropped: 0, purge: [] } as SuppressionOutcome);
    if ((screened.purge.length > 0 || screened.purgeRef) && !ctx.preflight)
      await purgeIdentified(this.repo, ctx.environmentId, screened.purge, screened.purgeRef);
    const fresh = screened.kept;
    const suppressed = screened.dropped;
    if (fresh.length === 0) {
      // Events about an opted-out person answer no profile, whichever one they were sent to
      // (one addressed by a shared email is another person's, and is kept).
      if (suppressed > 0) return { profile: null, applied: 0, duplicates, suppressed };
      const existing = await findExisting(this.repo, ctx, anchor);
      return { profile: existing, applied: 0, duplicates, suppressed };
    }
    const work = await resolveTarget(this.repo, ctx, anchor);
    // A retry may have waited for the rows it read (PostgreSQL's locked retry) while an opt-out
    // committed and erased them: screened again now, or it would store the person anew. The
    // next attempt then drops (and purges) what the opt-out covers.
    if (anchor.retry && this.repo.suppressions) {
      const ref = 'ref' in anchor ? anchor.ref : undefined;
      const now = await filterSuppressed(this.repo.suppressions, ctx.environmentId, fresh, ref);
      if (now.dropped > 0) throw new WriteConflict('an opt-out committed meanwhile');
    }
    if ('ref' in anchor && anchor.customId !== undefined)
      await claimCustomId(this.repo, ctx, work, anchor.customId);
    const before = work.state;
    const fold = await this.repo.fold?.forEnvironment(ctx.environmentId);
    for (const event of fresh) {
      await this.identity.apply(ctx, work, event);
      work.state = applyEvent(work.state, event, { source: ctx.source, newId });
      if (fold) work.state = fold.afterEvent(work.state, event);
      work.eventRows.push({
        id: newId(),
        environment_id: ctx.environmentId,
        profile_id: work.state.id,
        message_id: event.messageId,
        type: event.type,
        action: event.action,
        timestamp: event.timestamp,
        received_at: event.receivedAt,
        body: JSON.stringify(event),
      });
    }
    if (fold) {
      const after = await fold.afterEvents(work.state);
      work.state = after.state;
      if (after.rows) work.extraRows.push(after.rows);
    }
    if ('ref' in anchor && anchor.alongside) {
      const { alongside } = anchor;
      const profile = work.state;
      work.extraWrites.push((trx) => alongside(trx, profile));
    }
    // Webhooks: read before the transaction, and null (nothing to write) without subscriptions.
    const sink = ctx.preflight ? null : await this.repo.changes?.forEnvironment(ctx.environmentId);
    if (sink) {
      const changes = ingestChanges({
        created: work.version === null,
        before,
        after: work.state,
        newIdentifierTypes: work.newIdentifiers.map((i) => i.type),
        eventTypes: fresh.map((e) => e.type),
        merges: work.merges.map(({ record }) => record),
      });
      work.extraWrites.push((trx) => sink.write(trx, changes));
    }
    if (!ctx.preflight) await persistWork(this.repo, ctx, work, fresh);
    return { profile: work.state, applied: fresh.length, duplicates, suppressed };
  }

  /**
   * Drops events whose messageId was already applied (`known`: as the batch found just before),
   * or repeats one earlier in the group.
   */
  private async dropDuplicates(
    environmentId: string,
    events: CanonicalEvent[],
    known?: ReadonlySet<string>,
  ): Promise<CanonicalEvent[]> {
    const seen = known
      ? new Set(known)
      : await this.repo.dedupe.findSeen(
          environmentId,
          events.map((e) => e.messageId),
        );
    return events.filter((event) => {
      if (seen.has(event.messageId)) return false;
      seen.add(event.messageId);
      return true;
    });
  }
}
