import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import {
  type Identifier,
  type IdentifierType,
  UNIQUE_IDENTIFIER_TYPES,
} from '../../engine/types.js';
import { Precompiled, precompiledByCount } from '../../storage/precompiled.js';
import { type RowTarget, type RowWrite, rowTarget, runRows } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import { WriteConflict } from './write-conflict.js';

type WithIdentifiers = Database & { i: Database['profile_identifiers'] };

/**
 * `profile_identifiers as i` holds, in the environment, a unique identifier of one type with one
 * of `count` values, as placeholders: a statement's shape, compiled once per count (see
 * precompiledByCount; building the condition afresh costs more than the lookup), run with
 * {@link uniqueLookupParameters}. One statement per type with an IN list of values: SQLite seeks
 * the unique index once per value, where an OR of (type, value) pairs cost it six times as much
 * (2.6 ms for 50 identifiers against 0.43), and PostgreSQL scans it with `= ANY`.
 */
export function uniqueLookupShape(count: number) {
  return (eb: ExpressionBuilder<WithIdentifiers, 'i'>) =>
    eb.and([
      eb('i.environment_id', '=', ''),
      eb('i.is_unique', '=', 1),
      eb('i.type', '=', ''),
      eb('i.value', 'in', Array<string>(count).fill('')),
    ]);
}

/** One lookup of {@link uniqueLookupShape}: a type and at most 100 of its values. */
export interface UniqueLookup {
  type: string;
  values: string[];
}

/** The lookups that find `identifiers`: by type, at most 100 values each. */
export function uniqueLookupsOf(identifiers: readonly Identifier[]): UniqueLookup[] {
  const byType = new Map<string, string[]>();
  for (const { type, value } of identifiers) {
    const values = byType.get(type);
    if (values) values.push(value);
    else byType.set(type, [value]);
  }
  const lookups: UniqueLookup[] = [];
  for (const [type, values] of byType) {
    for (let at = 0; at < values.length; at += 100)
      lookups.push({ type, values: values.slice(at, at + 100) });
  }
  return lookups;
}

/** The parameters of {@link uniqueLookupShape}'s condition, in its order. */
export function uniqueLookupParameters(environmentId: string, lookup: UniqueLookup): unknown[] {
  return [environmentId, 1, lookup.type, ...lookup.values];
}

/** SQL for the identity graph: which profile owns which identifier. */
export class IdentityStore {
  /** The lookup of every request that names a profile by identifier, compiled once. */
  private readonly selectOwners: Precompiled<{ profile_id: string }>;
  /** A new profile's identifiers (and a merge's), at most 100 per statement. */
  private readonly target: RowTarget;
  /** {@link findOwners}' statement, per count of identifiers. */
  private readonly selectOwnersOf: (
    count: number,
  ) => Precompiled<{ type: string; value: string; profile_id: string }>;

  constructor(private readonly db: Kysely<Database>) {
    this.selectOwners = Precompiled.of(
      db
        .selectFrom('profile_identifiers')
        .select('profile_id')
        .where('environment_id', '=', '')
        .where('type', '=', '')
        .where('value', '=', '')
        .orderBy('profile_id'),
    );
    this.selectOwnersOf = precompiledByCount((count) =>
      db
        .selectFrom('profile_identifiers as i')
        .select(['i.type', 'i.value', 'i.profile_id'])
        .where(uniqueLookupShape(count)),
    );
    const row = {
      environment_id: '',
      type: '',
      value: '',
      profile_id: '',
      is_unique: 0,
      created_at: 0,
    };
    this.target = rowTarget(
      'profile_identifiers',
      6,
      (n) =>
        db
          .insertInto('profile_identifiers')
          .values(Array.from({ length: n }, () => row))
          .onConflict((oc) =>
            oc.columns(['environment_id', 'type', 'value', 'profile_id']).doNothing(),
          ),
      // A unique one (a userId) claimed meanwhile by another profile.
      { onUniqueViolation: () => new WriteConflict('identifier claimed by another profile') },
    );
  }

  /** Ids of the profiles holding `type:value` (several only for email and phone). */
  async findProfileIds(
    environmentId: string,
    type: IdentifierType,
    value: string,
  ): Promise<string[]> {
    const { rows } = await this.selectOwners.execute(this.db, [environmentId, type, value]);
    return rows.map((r) => r.profile_id);
  }

  /** Owners of several unique identifiers at once, keyed `type:value`. */
  async findOwners(environmentId: string, identifiers: Identifier[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    await Promise.all(
      uniqueLookupsOf(identifiers).map(async (lookup) => {
        const { rows } = await this.selectOwnersOf(lookup.values.length).execute(
          this.db,
          uniqueLookupParameters(environmentId, lookup),
        );
        for (const row of rows) owners.set(`${row.type}:${row.value}`, row.profile_id);
      }),
    );
    return owners;
  }

  /** Claims identifiers for a profile; a unique one claimed meanwhile is a WriteConflict. */
  insert(
    trx: Transaction<Database>,
    environmentId: string,
    profileId: string,
    identifiers: Identifier[],
    at: number,
  ): Promise<void> {
    return runRows(trx, [this.rows(environmentId, profileId, identifiers, at)]);
  }

  /** The rows of {@link insert} (see row-writes.ts). */
  rows(environmentId: string, profileId: string, identifiers: Identifier[], at: number): RowWrite {
    return {
      target: this.target,
      values: identifiers.flatMap((identifier) => [
        environmentId,
        identifier.type,
        identifier.value,
        profileId,
        UNIQUE_IDENTIFIER_TYPES.has(identifier.type) ? 1 : 0,
        at,
      ]),
    };
  }

  /** Releases identifiers held by a profile (merge and unmerge re-insert them elsewhere). */
  async remove(
    trx: Transaction<Database>,
    environmentId: string,
    profileId: string,
    identifiers: Identifier[],
  ): Promise<void> {
    for (const i of identifiers) {
      await trx
        .deleteFrom('profile_identifiers')
        .where('environment_id', '=', environmentId)
        .where('type', '=', i.type)
        .where('value', '=', i.value)
        .where('profile_id', '=', profileId)
        .execute();
    }
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('profile_identifiers').where('profile_id', 'in', profileIds).execute();
  }

  /** How many identifiers these profiles hold (erasure checklists). */
  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profile_identifiers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
