/**
 * Reads of profile rows off the document path, which neither use nor fill the ProfileCache:
 * following merges to the live profile, listing an environment's profiles, counting rows for
 * erasure checklists, and finding which environment an id belongs to. ProfileStore answers them
 * through these functions.
 */
import type { Kysely } from 'kysely';
import type { ProfileState } from '../../engine/types.js';
import { parseStored } from '../../lib/json.js';
import type { Database } from '../../storage/schema.js';

/** Where a profile id points now: itself, or the survivor it was merged into (followed). */
export async function findLiveProfileId(
  db: Kysely<Database>,
  environmentId: string,
  id: string,
): Promise<string | undefined> {
  let current = id;
  // A chain of merges is short; the cap only guards against a corrupted cycle.
  for (let hop = 0; hop < 32; hop++) {
    const row = await db
      .selectFrom('profiles')
      .select('merged_into')
      .where('id', '=', current)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.merged_into === null) return current;
    current = row.merged_into;
  }
  return undefined;
}

/** Live (not merged) profiles of an environment in id order, `limit` of them after `afterId`. */
export async function listProfiles(
  db: Kysely<Database>,
  environmentId: string,
  afterId: string | null,
  limit: number,
): Promise<ProfileState[]> {
  let query = db
    .selectFrom('profiles')
    .select('state')
    .where('environment_id', '=', environmentId)
    .where('merged_into', 'is', null);
  if (afterId) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((r) => parseStored<ProfileState>(r.state));
}

/** How many of these profile rows exist (erasure checklists). */
export async function countProfiles(db: Kysely<Database>, profileIds: string[]): Promise<number> {
  if (profileIds.length === 0) return 0;
  const row = await db
    .selectFrom('profiles')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', 'in', profileIds)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The environment a profile id belongs to, whichever it is (for "wrong namespace" answers). */
export async function findProfileEnvironment(
  db: Kysely<Database>,
  id: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select('environment_id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.environment_id;
}
