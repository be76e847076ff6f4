import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage, testEngine } from '../../test/helpers/test-database.js';
import { isTransientConflict, isUniqueViolation } from './errors.js';
import { Precompiled } from './precompiled.js';
import { rowTarget } from './row-writes.js';
import { allStatements } from './statements.js';
import type { Storage } from './storage.js';
import { ShardedWriter } from './write-queue.js';

let storage: Storage;
let destroyStorage: () => Promise<void>;
beforeAll(async () => {
  ({ storage, destroy: destroyStorage } = await openTestStorage());
});
afterAll(() => destroyStorage());

const org = (id: string) => ({ id, slug: id, name: id, created_at: 1_700_000_000_000 });

/** The organizations whose id starts with `prefix`, in id order. */
async function idsStartingWith(prefix: string): Promise<string[]> {
  const rows = await storage.db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

describe('storage on the test engine', () => {
  it('rolls a failed job back to its savepoint and commits the rest of its group', async () => {
    await storage.db.insertInto('organizations').values(org('taken')).execute();
    const [a, b, c] = await Promise.allSettled([
      storage.write((trx) => trx.insertInto('organizations').values(org('a')).execute()),
      storage.write(async (trx) => {
        await trx.insertInto('organizations').values(org('b')).execute();
        // A unique violation: on PostgreSQL it aborts the transaction until the rollback.
        await trx.insertInto('organizations').values(org('taken')).execute();
      }),
      storage.write((trx) => trx.insertInto('organizations').values(org('c')).execute()),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(c.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect(isUniqueViolation((b as PromiseRejectedResult).reason)).toBe(true);
    const ids = (
      await storage.db.selectFrom('organizations').select('id').orderBy('id').execute()
    ).map((r) => r.id);
    expect(ids).toEqual(['a', 'c', 'taken']);
  });

  it('keeps each job of a group to itself, whichever of them fail (the last one too)', async () => {
    // ok, failed, failed, ok, failed: a failure leaves its savepoint for the next job to start
    // from, and a failed last job is rolled back before the commit.
    const fails = [false, true, true, false, true];
    const outcomes = await Promise.allSettled(
      fails.map((fail, i) =>
        storage.write(async (trx) => {
          await trx
            .insertInto('organizations')
            .values(org(`g${i}`))
            .execute();
          if (fail) await trx.insertInto('organizations').values(org('taken')).execute();
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(
      fails.map((fail) => (fail ? 'rejected' : 'fulfilled')),
    );
    const ids = await idsStartingWith('g');
    expect(ids).toEqual(['g0', 'g3']);
    await storage.db.deleteFrom('organizations').where('id', 'like', 'g%').execute();
  });

  it("rolls back all of a job's statements issued together, and names the one that failed", async () => {
    // Precompiled statements run directly on the group's connection; on PostgreSQL they are
    // pipelined, and those after the failed one are refused as in an aborted transaction.
    const insert = Precompiled.of(
      storage.db.insertInto('organizations').values(org('?')).returning('id'),
    );
    const insertOrg = (trx: Parameters<Parameters<typeof storage.write>[0]>[0], id: string) =>
      insert.execute(trx, Object.values(org(id)));
    const [before, together, after] = await Promise.allSettled([
      storage.write((trx) => insertOrg(trx, 'p0')),
      storage.write((trx) =>
        allStatements([insertOrg(trx, 'p1'), insertOrg(trx, 'taken'), insertOrg(trx, 'p2')]),
      ),
      storage.write(async (trx) => {
        const [one, two] = await allStatements([insertOrg(trx, 'p3'), insertOrg(trx, 'p4')]);
        return [...one.rows, ...two.rows];
      }),
    ]);
    expect(before.status).toBe('fulfilled');
    expect(isUniqueViolation((together as PromiseRejectedResult).reason)).toBe(true);
    expect((after as PromiseFulfilledResult<unknown>).value).toEqual([{ id: 'p3' }, { id: 'p4' }]);
    const ids = await idsStartingWith('p');
    expect(ids).toEqual(['p0', 'p3', 'p4']);
    await storage.db.deleteFrom('organizations').where('id', 'like', 'p%').execute();
  });

  it('writes the rows of several jobs together, and each job on its own when one of them fails', async () => {
    await storage.db
      .insertInto('organizations')
      .values([org('r1'), org('r2')])
      .execute();
    const inserts = rowTarget('test:organizations', 4, (n) =>
      storage.db.insertInto('organizations').values(Array(n).fill(org(''))),
    );
    // A rename checked against the name it expects (as a profile write checks its version).
    const value = sql`(cast(${''} as text), cast(${''} as text), cast(${''} as text))`;
    const renames = rowTarget(
      'test:rename',
      3,
      (n) => ({
        compile: () =>
          sql`with v (id, name, expected) as (values ${sql.join(Array(n).fill(value))})
            update organizations set name = v.name from v
            where organizations.id = v.id and organizations.name = v.expected
            returning organizations.id as key`.compile(storage.db),
      }),
      { checked: { keyAt: 0, conflict: (key) => new Error(`stale ${key}`) } },
    );
    const insert = (id: string) => ({ target: inserts, values: Object.values(org(id)) });
    const rename = (id: string, name: string, expected: string) => ({
      target: renames,
      values: [id, name, expected],
    });
    // All fine: one statement per target for the four jobs.
    await Promise.all([
      storage.writeRows([insert('r3'), rename('r1', 'one', 'r1')]),
      storage.writeRows([insert('r4')]),
      storage.writeRows([rename('r2', 'two', 'r2')]),
    ]);
    // A stale rename, two renames of one row against the same name, a duplicate insert: each
    // fails alone, the others are written.
    const outcomes = await Promise.allSettled([
      storage.writeRows([insert('r5'), rename('r1', 'stale', 'r1')]),
      storage.writeRows([rename('r2', 'first', 'two')]),
      storage.writeRows([rename('r2', 'second', 'two')]),
      storage.writeRows([insert('r6')]),
      storage.writeRows([insert('r3')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('stale r1');
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toContain('stale r2');
    expect(isUniqueViolation((outcomes[4] as PromiseRejectedResult).reason)).toBe(true);
    const rows = await storage.db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', 'like', 'r%')
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'r1', name: 'one' },
      { id: 'r2', name: 'first' },
      { id: 'r3', name: 'r3' },
      { id: 'r4', name: 'r4' },
      { id: 'r6', name: 'r6' },
    ]);
    await storage.db.deleteFrom('organizations').where('id', 'like', 'r%').execute();
  });

  it('reads bigint columns and counts as JS numbers', async () => {
    const row = await storage.db
      .selectFrom('organizations')
      .select((eb) => [
        eb.fn.countAll().as('n'),
        eb.fn.max('created_at').as('latest'),
        sql<number>`cast(${Number.MAX_SAFE_INTEGER} as bigint)`.as('big'),
      ])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ n: 3, latest: 1_700_000_000_000, big: Number.MAX_SAFE_INTEGER });
    const updated = await storage.db
      .updateTable('organizations')
      .set({ name: 'x' })
      .where('id', 'in', ['a', 'c'])
      .executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(2);
  });
});

describe('several writers (PostgreSQL)', () => {
  it('commits in several transactions at once, and the jobs of one key in order in one writer', async () => {
    const writer = new ShardedWriter(storage.db, 3);
    const seen: Array<{ key: string; n: number; trx: unknown }> = [];
    await Promise.all(
      ['k1', 'k2', 'k3', 'k4'].flatMap((key) =>
        [1, 2, 3].map((n) =>
          writer.write(
            async (trx) => {
              seen.push({ key, n, trx });
            },
            { key },
          ),
        ),
      ),
    );
    for (const key of ['k1', 'k2', 'k3', 'k4']) {
      const mine = seen.filter((s) => s.key === key);
      expect(mine.map((s) => s.n)).toEqual([1, 2, 3]);
      expect(new Set(mine.map((s) => s.trx)).size).toBe(1);
    }
    // Four keys over three writers: more than one transaction took part.
    expect(new Set(seen.map((s) => s.trx)).size).toBeGreaterThan(1);
    await writer.flush();
  });
});

describe.skipIf(testEngine !== 'postgres')('row locks in group transactions (PostgreSQL)', () => {
  it("fails a job that retries conflicts fast on another transaction's lock; other jobs wait", async () => {
    await storage.db.insertInto('organizations').values(org('locked')).execute();
    let release!: () => void;
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // Another transaction (another process, say) holds the row.
    const other = storage.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('organizations')
        .set({ name: 'other' })
        .where('id', '=', 'locked')
        .execute();
      locked();
      await holding;
    });
    await lockTaken;
    const rename = (name: string) => (trx: Parameters<Parameters<typeof storage.write>[0]>[0]) =>
      trx.updateTable('organizations').set({ name }).where('id', '=', 'locked').execute();
    const started = Date.now();
    // The storage's own writer, pipelined, with its lock timeout (20 ms).
    const fast = storage.write(rename('fast'), { retriesConflicts: true });
    const fastError = await fast.then(
      () => null,
      (error: unknown) => error,
    );
    expect(isTransientConflict(fastError)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    const patient = storage.write(rename('patient'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await other;
    await patient;
    const row = await storage.db
      .selectFrom('organizations')
      .select('name')
      .where('id', '=', 'locked')
      .executeTakeFirstOrThrow();
    expect(row.name).toBe('patient');
  });
});
