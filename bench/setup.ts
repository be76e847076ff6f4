import { type FreshDatabase, freshDatabase } from './databases.js';
import { createProfile, defineAudiencesAndExperiences } from './definitions.js';
import type { BenchOptions } from './options.js';
import { type StartOptions, startTessera, type Tessera } from './tessera-server.js';

/** The known profile of scenarios 1 and 2. */
export const BENCH_USER = 'bench-user';

/** A running Tessera on its own fresh database, with the personalization setup and a profile. */
export interface Prepared {
  db: FreshDatabase;
  t: Tessera;
  /** Tessera's id of the `userId:bench-user` profile. */
  profileId: string;
  /** `profileId` and the other known profiles (`--known-profiles`), for spread personalize load. */
  knownIds: string[];
  stop(): Promise<void>;
}

export async function prepareTessera(
  options: BenchOptions,
  dir: string,
  name: string,
  start: StartOptions = {},
): Promise<Prepared> {
  const db = await freshDatabase(options.engine, dir, name);
  let t: Tessera | undefined;
  try {
    t = await startTessera(db, {
      cpuProfDir: options.cpuProf,
      maxHeapMiB: options.maxHeap,
      ...start,
    });
    await defineAudiencesAndExperiences(t);
    const profileId = await createProfile(t, BENCH_USER);
    const knownIds = [profileId];
    while (knownIds.length < options.knownProfiles)
      knownIds.push(await createProfile(t, `${BENCH_USER}-${knownIds.length}`));
    const running = t;
    return {
      db,
      t,
      profileId,
      knownIds,
      async stop() {
        await running.stop();
        await db.drop();
      },
    };
  } catch (error) {
    await t?.stop();
    await db.drop();
    throw error;
  }
}
