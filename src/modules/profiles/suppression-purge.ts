import type { Identifier } from '../../engine/types.js';
import { UNIQUE_IDENTIFIER_TYPES } from '../../engine/types.js';
import { loadProfile } from './ingest-work.js';
import type { ProfileRef } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';

/**
 * Erases what was collected under anonymous ids (and the profile a request addressed) just
 * identified as an opted-out user, and suppresses their unique identifiers: they are that
 * person's devices. A profile that holds a userId is another known person's (a shared device):
 * it is left alone, and its identifiers are not suppressed.
 */
export async function purgeIdentified(
  repo: ProfileRepository,
  environmentId: string,
  anonymousIds: Identifier[],
  ref?: ProfileRef,
): Promise<void> {
  const owners = await repo.identities.findOwners(environmentId, anonymousIds);
  const candidates = new Set(owners.values());
  if (ref?.kind === 'id') {
    const live = await repo.profiles.findLiveId(environmentId, ref.id);
    if (live) candidates.add(live);
  } else if (ref && UNIQUE_IDENTIFIER_TYPES.has(ref.type)) {
    for (const id of await repo.identities.findProfileIds(environmentId, ref.type, ref.value))
      candidates.add(id);
  }
  const trees: string[] = [];
  const spared = new Set<string>();
  const suppress = new Map<string, Identifier>();
  for (const profileId of candidates) {
    const found = await loadProfile(repo, null, environmentId, profileId);
    if (!found) continue;
    const { state } = found;
    if (state.identifiers.some((i) => i.type === 'userId')) {
      for (const i of state.identifiers) spared.add(`${i.type}:${i.value}`);
      continue;
    }
    trees.push(state.id, ...state.mergedIds);
    for (const i of state.identifiers) {
      if (UNIQUE_IDENTIFIER_TYPES.has(i.type)) suppress.set(`${i.type}:${i.value}`, i);
    }
  }
  for (const i of anonymousIds) {
    if (!spared.has(`${i.type}:${i.value}`)) suppress.set(`${i.type}:${i.value}`, i);
  }
  if (ref?.kind === 'identifier' && UNIQUE_IDENTIFIER_TYPES.has(ref.type)) {
    const key = `${ref.type}:${ref.value}`;
    if (!spared.has(key)) suppress.set(key, { type: ref.type, value: ref.value });
  }
  if (trees.length === 0 && suppress.size === 0) return;
  const sink = trees.length > 0 ? await repo.changes?.forEnvironment(environmentId) : undefined;
  await repo.storage.write(async (trx) => {
    if (trees.length > 0) await repo.erase(trx, trees);
    // Receivers were sent these profiles' changes: they learn the data is gone (after the erase,
    // which removes the profiles' own change events; tied to no profile, so it outlives them).
    await sink?.write(trx, [
      {
        type: 'profile.deleted',
        profileId: null,
        payload: { profileIds: trees, reason: 'opted-out' },
      },
    ]);
    await repo.suppressions!.add(
      trx,
      environmentId,
      [...suppress.values()],
      'identified-as-opted-out',
      Date.now(),
    );
  });
}
