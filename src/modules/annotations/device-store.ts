import { type Kysely, sql, type Transaction } from 'kysely';
import { parseStored } from '../../lib/json.js';
import type { Database, LinkedDevicesTable } from '../../storage/schema.js';
import type { LinkedDevice, PushChannel } from './annotation-types.js';

/** The only SQL on `linked_devices`. */
export class DeviceStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Links a device: inserted, or (same device id in the environment) moved to this profile with
   * the columns in `update` replaced. `linked_at` restarts only when the profile changes.
   */
  async upsert(
    trx: Transaction<Database>,
    row: LinkedDevicesTable,
    update: Partial<LinkedDevicesTable>,
  ): Promise<void> {
    await trx
      .insertInto('linked_devices')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['environment_id', 'device_id']).doUpdateSet({
          ...update,
          profile_id: row.profile_id,
          last_seen_at: row.last_seen_at,
          linked_at: sql<number>`case when linked_devices.profile_id = ${row.profile_id} then linked_devices.linked_at else ${row.linked_at} end`,
        }),
      )
      .execute();
  }

  async findById(
    environmentId: string,
    deviceId: string,
    db: Kysely<Database> = this.db,
  ): Promise<LinkedDevice | undefined> {
    const row = await db
      .selectFrom('linked_devices')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row && deviceOf(row);
  }

  /** Devices of these profiles, in the order they were linked. */
  async findByProfiles(environmentId: string, profileIds: string[]): Promise<LinkedDevice[]> {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('linked_devices')
      .selectAll()
      .where('profile_id', 'in', profileIds)
      .where('environment_id', '=', environmentId)
      .orderBy('linked_at')
      .orderBy('device_id')
      .execute();
    return rows.map(deviceOf);
  }

  /** Unlinks a device from these profiles; answers whether it was linked to one of them. */
  async delete(
    trx: Transaction<Database>,
    environmentId: string,
    profileIds: string[],
    deviceId: string,
  ): Promise<boolean> {
    if (profileIds.length === 0) return false;
    const result = await trx
      .deleteFrom('linked_devices')
      .where('environment_id', '=', environmentId)
      .where('device_id', '=', deviceId)
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Forgets the push tokens of one channel on these profiles' devices; answers how many. */
  async clearPushTokens(
    trx: Transaction<Database>,
    profileIds: string[],
    channel: PushChannel,
  ): Promise<number> {
    if (profileIds.length === 0) return 0;
    const result = await trx
      .updateTable('linked_devices')
      .set({ push_token: null, push_channel: null })
      .where('profile_id', 'in', profileIds)
      .where('push_channel', '=', channel)
      .where('push_token', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('linked_devices').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('linked_devices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function deviceOf(row: LinkedDevicesTable): LinkedDevice {
  return {
    deviceId: row.device_id,
    profileId: row.profile_id,
    type: row.type,
    pushToken: row.push_token,
    pushChannel: row.push_channel,
    name: row.name,
    model: row.model,
    os: row.os,
    attributes: parseStored<Record<string, unknown>>(row.attributes),
    linkedAt: Number(row.linked_at),
    lastSeenAt: Number(row.last_seen_at),
  };
}
