import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Identifier, JsonObject, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { BulkStatus } from '../../modules/bulk/bulk-service.js';
import type { ExportProgress } from '../../modules/bulk/export-runner.js';
import { environmentOf } from '../../platform/auth.js';
import { iso } from '../native/native-presenters.js';
import { presentClient } from './client-mapping.js';
import { type ProfileManagementServices, TAGS } from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';

const TaskParams = Type.Object({ taskId: Type.String({ minLength: 1, maxLength: 64 }) });
/** Synerise task states, from the bulk job's. */
const STATES = {
  queued: 'QUEUED',
  running: 'IN_PROGRESS',
  done: 'DONE',
  failed: 'FAILED',
} as const;

const TaskStatus = Type.Object({
  taskId: Type.String(),
  status: Type.String({ enum: Object.values(STATES) }),
  exported: Type.Integer({ description: 'Profiles written so far' }),
  scanned: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function presentTask(s: BulkStatus<ExportProgress>) {
  return {
    taskId: s.id,
    status: STATES[s.status],
    exported: s.progress.profiles,
    scanned: s.progress.scanned,
    error: s.lastError,
    createdAt: iso(s.createdAt),
    finishedAt: iso(s.finishedAt),
  };
}

/** The native presenter's profile (what an export line holds) back into the fields a client shows. */
interface ExportedProfile {
  id: string;
  identifiers: Identifier[];
  traits: JsonObject;
  metadata: { createdAt: string; updatedAt: string; lastActivityTime: string | null };
  mergedIds?: string[];
}

/** Tag names of a page of exported profiles, by profile id (one query per page). */
export type TagsOfPage = (profiles: ExportedProfile[]) => Promise<Map<string, string[]>>;

function clientOf(p: ExportedProfile, tags: string[]) {
  const state = {
    id: p.id,
    identifiers: p.identifiers,
    traits: p.traits,
    metadata: {
      createdAt: Date.parse(p.metadata.createdAt),
      updatedAt: Date.parse(p.metadata.updatedAt),
      lastActivityTime: p.metadata.lastActivityTime
        ? Date.parse(p.metadata.lastActivityTime)
        : null,
    },
  } as unknown as ProfileState;
  return presentClient(state, tags);
}

/**
 * The export's NDJSON chunks (cut anywhere) as one JSON array of clients, with their tags looked
 * up per chunk (the export lines do not carry them: tags live in the annotations module).
 */
export async function* jsonArray(
  chunks: AsyncIterable<string>,
  tagsOf: TagsOfPage = async () => new Map(),
): AsyncGenerator<string> {
  let pending = '';
  let first = true;
  const page = async (lines: string[]) => {
    const profiles = lines
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ExportedProfile);
    if (profiles.length === 0) return '';
    const tags = await tagsOf(profiles);
    const text = profiles.map((p) => JSON.stringify(clientOf(p, tags.get(p.id) ?? []))).join(',');
    const out = first ? text : `,${text}`;
    first = false;
    return out;
  };
  yield '[';
  for await (const chunk of chunks) {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    const out = await page(lines);
    if (out) yield out;
  }
  const last = await page([pending]);
  if (last) yield last;
  yield ']';
}

/**
 * The status of an export of profiles (what this dialect creates). Another export of the
 * environment (the native API's events, say) is not a task of this API: 404, like an unknown id.
 */
async function profileExportStatus(
  services: ProfileManagementServices,
  environmentId: string,
  taskId: string,
): Promise<BulkStatus<ExportProgress>> {
  const status = await services.bulk.exportStatus(environmentId, taskId);
  if (status.options.what !== 'profiles') throw new AppError('not_found', 'No such export.');
  return status;
}

/**
 * Profile exports (`/morph/exports/clients…`) as the core's export jobs: create from an
 * audience (published, by id) or a filter (an audience rule), poll the status, fetch the data.
 */
export function exportRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/segmentation',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Create and run profile export',
          description:
            'Exports the profiles of a published audience (`audienceId`) and/or those matching ' +
            '`filter`, an audience rule as the native `/v1/audiences` takes it (e.g. ' +
            '`{"trait": "city", "op": "equals", "value": "Warsaw"}`). Neither: every profile.',
          tags: TAGS,
          body: Type.Object(
            {
              audienceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              filter: Type.Optional(Type.Object({}, { additionalProperties: true })),
            },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({
              taskId: Type.String(),
              status: Type.String(),
              statusUrl: Type.String(),
            }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { id } = await services.bulk.createExport(environmentOf(request), {
          what: 'profiles',
          audience: request.body.audienceId,
          rule: request.body.filter,
        });
        const statusUrl = `/morph/exports/clients/${id}/status`;
        return reply
          .status(202)
          .header('location', statusUrl)
          .send({ taskId: id, status: STATES.queued, statusUrl });
      },
    );

    app.get(
      '/:taskId/status',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Check profile export status',
          tags: TAGS,
          params: TaskParams,
          response: { 200: TaskStatus, ...errorResponses },
        },
      },
      async (request) =>
        presentTask(
          await profileExportStatus(services, environmentOf(request), request.params.taskId),
        ),
    );

    app.get(
      '/:taskId/data',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get exported profiles (409 until the task is DONE)',
          tags: TAGS,
          params: TaskParams,
          response: {
            200: Type.Array(Type.Ref('PmClient')),
            409: Type.Ref('SpringError'),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        await profileExportStatus(services, environmentId, request.params.taskId);
        const chunks = await services.bulk.exportData(environmentId, request.params.taskId);
        // Streamed: an export may be larger than is wise to hold in memory.
        const tagsOf: TagsOfPage = async (profiles) => {
          const found = await services.annotations.tags.tagsOfProfiles(environmentId, profiles);
          return new Map([...found].map(([id, tags]) => [id, tags.map((t) => t.name)]));
        };
        return reply
          .type('application/json; charset=utf-8')
          .send(Readable.from(jsonArray(chunks, tagsOf)));
      },
    );
  };
}
