/** The consent history ledger: appends changes and due lapses, and reads current records. */
import { dataPointKey, lapseOf, planWrite } from '../../engine/consent-state.js';
import type { DataPointRecord } from '../../engine/consent-types.js';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { ConsentHistoryTable } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import type { ChangeRecorder } from '../webhooks/change-types.js';
import { dataPointChange } from '../webhooks/consent-changes.js';
import type { ProfileWriteGuard } from './consent-guard.js';
import type { ConsentSubject } from './consent-service.js';
import type { ConsentStore, CurrentRow, DataPointKind } from './consent-store.js';

/**
 * ConsentService's access to the consent tables: a change appends its history entries and
 * replaces the data point's current row in one transaction; a lapse is appended only by whoever
 * moves the row it ends, so it is recorded once.
 */
export class ConsentLedger {
  constructor(
    private readonly storage: Storage,
    private readonly store: ConsentStore,
    /** The clock changes are recorded with (ConsentService.now). */
    private readonly now: () => number,
    private readonly guard: ProfileWriteGuard,
    private readonly changes: ChangeRecorder | null,
  ) {}

  /** Appends the change (after the lapse the replaced record owes) and makes it current. */
  async write(
    environmentId: string,
    profile: ConsentSubject,
    build: (at: number) => DataPointRecord,
  ): Promise<DataPointRecord> {
    // Webhook subscriptions are read before the transaction (nothing else reads inside it).
    const sink = await this.changes?.forEnvironment(environmentId);
    return this.guard(environmentId, profile.id, async (trx) => {
      const record = build(this.now());
      const key = dataPointKey(record);
      const rows = await this.store.findCurrent(
        environmentId,
        treeOf(profile),
        key.kind,
        { subjects: [key.subject], target: key.target },
        trx,
      );
      const replaced = rows.at(-1) ?? null;
      const history: ConsentHistoryTable[] = [];
      for (const draft of planWrite(replaced?.record ?? null, record)) {
        if (draft.change === 'lapsed' && replaced) {
          // The lapse belongs to the row it ends (maybe a merged profile's), and is appended
          // only by whoever moves that row, so a concurrent reader cannot record it twice.
          const lapse = historyRow(environmentId, replaced.profileId, draft, record.at);
          const moved = await this.store.replaceCurrentIf(
            trx,
            { profileId: replaced.profileId, ...key },
            replaced.historyId,
            { historyId: lapse.id, record: lapse.record, updatedAt: record.at },
          );
          if (moved) history.push(lapse);
          continue;
        }
        const row = historyRow(environmentId, profile.id, draft, record.at);
        history.push(row);
        await this.store.upsertCurrent(trx, {
          environment_id: environmentId,
          profile_id: profile.id,
          kind: key.kind,
          subject: key.subject,
          target: key.target,
          history_id: row.id,
          record: row.record,
          updated_at: record.at,
        });
      }
      await this.store.appendHistory(trx, history);
      await sink?.write(
        trx,
        history.map((row) => ({ ...changeOf(row), mergedIds: profile.mergedIds ?? [] })),
      );
      return record;
    });
  }

  /**
   * The current records of a profile (newest per data point across the profile and those merged
   * into it), after recording the lapses that are due at `now`.
   */
  async current(
    environmentId: string,
    profile: ConsentSubject,
    kind: DataPointKind,
    now: number,
    filter: { subject?: string; target?: string },
  ): Promise<DataPointRecord[]> {
    const rows = await this.store.findCurrent(environmentId, treeOf(profile), kind, {
      subjects: filter.subject === undefined ? undefined : [filter.subject],
      target: filter.target,
    });
    const latest = new Map<string, CurrentRow>();
    for (const row of rows) {
      const key = dataPointKey(row.record);
      latest.set(`${key.subject}\u0000${key.target}`, row);
    }
    const due = [...latest.values()].filter((row) => lapseOf(row.record, now) !== null);
    if (due.length > 0) await this.recordLapses(environmentId, due, now);
    return [...latest.values()].map((row) => lapseOf(row.record, now)?.record ?? row.record);
  }

  private async recordLapses(environmentId: string, due: CurrentRow[], now: number): Promise<void> {
    const sink = await this.changes?.forEnvironment(environmentId);
    return this.storage.write(async (trx) => {
      for (const row of due) {
        const lapse = lapseOf(row.record, now);
        if (!lapse) continue;
        const entry = historyRow(environmentId, row.profileId, lapse, now);
        const key = dataPointKey(row.record);
        // Only the process that moves the current row appends the entry: recorded once.
        const moved = await this.store.replaceCurrentIf(
          trx,
          { profileId: row.profileId, ...key },
          row.historyId,
          { historyId: entry.id, record: entry.record, updatedAt: now },
        );
        if (moved) {
          await this.store.appendHistory(trx, [entry]);
          await sink?.write(trx, [changeOf(entry)]);
        }
      }
    });
  }
}

/** A history entry as a webhook change event. */
function changeOf(row: ConsentHistoryTable) {
  return dataPointChange(row.profile_id, row.change, parseStored<DataPointRecord>(row.record));
}

/** The profile's id and the ids merged into it: the rows a read or write covers. */
export function treeOf(profile: ConsentSubject): string[] {
  return [profile.id, ...(profile.mergedIds ?? [])];
}

function historyRow(
  environmentId: string,
  profileId: string,
  draft: { change: 'set' | 'lapsed'; at: number; record: DataPointRecord },
  recordedAt: number,
): ConsentHistoryTable {
  const key = dataPointKey(draft.record);
  return {
    id: newId(),
    environment_id: environmentId,
    profile_id: profileId,
    kind: key.kind,
    subject: key.subject,
    target: key.target,
    change: draft.change,
    at: draft.at,
    recorded_at: recordedAt,
    record: JSON.stringify(draft.record),
  };
}
