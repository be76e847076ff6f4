import type { AudienceRule } from '../../engine/audience-types.js';
import { audienceRefsOf, evaluateAudience, validateAudienceRule } from '../../engine/index.js';
import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { EventStore, StoredEvent } from '../events/event-store.js';
import type { DefinitionService } from '../personalization/definition-service.js';
import type { PersonalizationApi } from '../personalization/personalization-api.js';
import type { ProfileQueryService } from '../profiles/profile-query-service.js';

export type ExportWhat = 'profiles' | 'events' | 'both';

/** What an export writes: a validated filter (published audience and/or ad-hoc rule). */
export interface ExportSpec {
  what: ExportWhat;
  audience?: string;
  rule?: AudienceRule;
}

/**
 * Where an export stands: every profile up to `after` (in id order) is written; when `current`
 * is set, that profile's line is written too, with its events up to `eventAfter`.
 */
export interface ExportCursor {
  after: string | null;
  current?: { id: string; eventAfter: { timestamp: number; id: string } | null };
}

export interface ExportProgress {
  /** Profiles looked at. */
  scanned: number;
  /** Profiles that passed the filter. */
  profiles: number;
  /** Event lines written. */
  events: number;
  cursor: ExportCursor;
}

export function emptyExportProgress(): ExportProgress {
  return { scanned: 0, profiles: 0, events: 0, cursor: { after: null } };
}

/**
 * How profiles and events look in the output. Presenting belongs to surfaces: the caller passes
 * the native API's presenters, so an export reads exactly like the API.
 */
export interface BulkPresenter {
  profile(state: ProfileState): unknown;
  event(stored: StoredEvent): unknown;
}

export interface ExportDeps {
  queries: ProfileQueryService;
  events: EventStore;
  personalization: PersonalizationApi;
  definitions: DefinitionService;
}

const PROFILE_PAGE = 200;
const EVENT_PAGE = 1000;

/** Checks an export request: a known audience that is published, a valid rule. */
export async function validateExportSpec(
  deps: Pick<ExportDeps, 'definitions'>,
  environmentId: string,
  input: { what?: string; audience?: string; rule?: unknown },
): Promise<ExportSpec> {
  const what = input.what ?? 'profiles';
  if (what !== 'profiles' && what !== 'events' && what !== 'both')
    throw new AppError('validation_failed', 'what must be profiles, events or both.', [
      { field: 'what', message: 'must be profiles, events or both' },
    ]);
  const spec: ExportSpec = { what };
  if (input.audience !== undefined) {
    const audience = await deps.definitions.getAudience(environmentId, input.audience);
    if (audience.status !== 'published')
      throw new AppError('validation_failed', `Audience ${input.audience} is not published.`, [
        { field: 'audience', message: 'must be a published audience' },
      ]);
    spec.audience = audience.id;
  }
  if (input.rule !== undefined) {
    const result = validateAudienceRule(input.rule);
    if (!result.ok)
      throw new AppError(
        'validation_failed',
        'The rule is not valid.',
        result.errors.map((e) => ({ field: `rule.${e.path}`, message: e.message })),
      );
    spec.rule = result.rule;
  }
  return spec;
}

/**
 * Streams an export as units of NDJSON lines, each with the progress after it, walking the
 * profiles in id order with the listing cursor and each timeline by keyset pages: memory holds
 * one page. Starting from a saved progress resumes exactly where it stopped.
 *
 * Lines: `profiles` writes one presented profile per line, `events` one presented event per
 * line (it carries its `profileId`), `both` a `{"profile": …}` line followed by that profile's
 * `{"event": …}` lines.
 */
export async function* exportUnits(
  deps: ExportDeps,
  environmentId: string,
  spec: ExportSpec,
  presenter: BulkPresenter,
  start: ExportProgress = emptyExportProgress(),
  now: () => number = Date.now,
): AsyncGenerator<{
  lines: string[];
  progress: ExportProgress;
  /** The profiles the lines copy: one and those merged into it (whose events and traits it holds). */
  profileIds?: string[];
}> {
  const progress: ExportProgress = { ...start, cursor: { ...start.cursor } };
  const snapshot = (): ExportProgress => ({ ...progress, cursor: { ...progress.cursor } });
  const needsAudiences =
    spec.audience !== undefined ||
    (spec.rule !== undefined && audienceRefsOf(spec.rule).length > 0);

  const matches = async (state: ProfileState): Promise<boolean> => {
    const at = now();
    const audiences = needsAudiences
      ? (await deps.personalization.personalize(environmentId, state, at)).audiences
      : [];
    if (spec.audience !== undefined && !audiences.includes(spec.audience)) return false;
    if (spec.rule === undefined) return true;
    return evaluateAudience(spec.rule, {
      state,
      signals: state.signals ?? {},
      now: at,
      audiences: Object.fromEntries(audiences.map((id) => [id, true])),
    }).result;
  };

  async function* timeline(state: ProfileState, from: { timestamp: number; id: string } | null) {
    let after = from ?? undefined;
    for (;;) {
      const page = await deps.events.find({
        environmentId,
        profileIds: [state.id, ...state.mergedIds],
        order: 'asc',
        limit: EVENT_PAGE,
        after,
      });
      if (page.length === 0) return;
      const lines = page.map((stored) =>
        JSON.stringify(
          spec.what === 'both'
            ? { event: presenter.event(stored) }
            : (presenter.event(stored) as object),
        ),
      );
      const last = page[page.length - 1]!;
      after = { timestamp: last.event.timestamp, id: last.id };
      progress.events += page.length;
      progress.cursor.current = { id: state.id, eventAfter: after };
      yield { lines, progress: snapshot(), profileIds: [state.id, ...state.mergedIds] };
      if (page.length < EVENT_PAGE) return;
    }
  }

  // A profile interrupted halfway: its line is out, its events continue where they stopped.
  const current = progress.cursor.current;
  if (current) {
    const [state] = await deps.queries.findProfiles(environmentId, { kind: 'id', id: current.id });
    if (state && state.id === current.id && spec.what !== 'profiles')
      yield* timeline(state, current.eventAfter);
    progress.cursor = { after: current.id };
  }

  for (;;) {
    const page = await deps.queries.listProfiles(
      environmentId,
      progress.cursor.after,
      PROFILE_PAGE,
    );
    if (page.length === 0) return;
    for (const state of page) {
      progress.scanned += 1;
      if (await matches(state)) {
        progress.profiles += 1;
        if (spec.what !== 'events') {
          const presented = presenter.profile(state);
          const line = JSON.stringify(
            spec.what === 'both' ? { profile: presented } : (presented as object),
          );
          progress.cursor.current = { id: state.id, eventAfter: null };
          yield { lines: [line], progress: snapshot(), profileIds: [state.id, ...state.mergedIds] };
        }
        if (spec.what !== 'profiles') yield* timeline(state, null);
      }
      progress.cursor = { after: state.id };
    }
    yield { lines: [], progress: snapshot() };
    if (page.length < PROFILE_PAGE) return;
  }
}
