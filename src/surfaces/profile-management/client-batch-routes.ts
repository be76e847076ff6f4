import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import { type ClientInput, refFor } from './client-mapping.js';
import { BatchItemResult, ClientBody } from './client-schemas.js';
import { viewClient, writeClient } from './client-writes.js';
import {
  type ProfileManagementServices,
  SuppressedWrite,
  TAGS,
} from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';
import { problemsOf } from './profile-management-validation.js';

/** Most profiles in one batch: each is one write, and the request waits for all of them. */
export const MAX_BATCH_CLIENTS = 500;
/** Most sources in one merge request. */
const MAX_MERGE_SOURCES = 50;

const BatchItem = Type.Object(
  {
    ...ClientBody.properties,
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** The key a batch item names its profile by: clientId, customId, uuid, then email. */
function itemRef(item: ClientInput): ProfileRef {
  if (item.clientId) return { kind: 'id', id: item.clientId };
  if (item.customId) return refFor('customId', item.customId);
  if (item.uuid) return refFor('uuid', item.uuid);
  if (typeof item.email === 'string') return refFor('email', item.email);
  throw new AppError(
    'validation_failed',
    'The item names no profile: set clientId, customId, uuid or email.',
  );
}

function list(value: string, field: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0 || items.length > MAX_MERGE_SOURCES) {
    throw new AppError('validation_failed', `${field} must list 1 to ${MAX_MERGE_SOURCES} ids.`, [
      { field, message: `must be a comma-separated list of 1 to ${MAX_MERGE_SOURCES} ids` },
    ]);
  }
  return items;
}

const MergeResult = Type.Object({
  client: Type.Ref('PmClient'),
  merges: Type.Array(Type.Object({ mergeId: Type.String(), mergedClientId: Type.String() })),
});

/** `POST /v4/clients/batch` and the two merge endpoints. */
export function clientBatchRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  const merge = async (environmentId: string, to: ProfileRef, from: ProfileRef[]) => {
    const { survivor, merges } = await services.merges.mergeProfiles(environmentId, to, from);
    return {
      client: await viewClient(services, environmentId, survivor),
      merges: merges.map((m) => ({ mergeId: m.id, mergedClientId: m.mergedId })),
    };
  };

  return async (app) => {
    app.post(
      '/clients/batch',
      {
        config: { scope: 'write' },
        schema: {
          summary: `Batch add or update profiles (up to ${MAX_BATCH_CLIENTS})`,
          description:
            'Each item names its profile by clientId (must exist), else customId, uuid or email ' +
            '(created when nobody holds it). Items are applied one by one; the answer has one ' +
            'result per item with its own status (200 updated or created, 400, 404, 409).',
          tags: TAGS,
          body: Type.Array(Type.Object({}, { additionalProperties: true }), {
            minItems: 1,
            maxItems: MAX_BATCH_CLIENTS,
          }),
          response: {
            200: Type.Object({ results: Type.Array(BatchItemResult) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const results: Array<Record<string, unknown>> = [];
        for (const [index, item] of (request.body as unknown[]).entries()) {
          const problems = problemsOf(BatchItem, item);
          if (problems.length > 0) {
            const message = problems
              .map(
                (p) =>
                  `${(p.instancePath + (p.params.missingProperty ? `/${p.params.missingProperty}` : '')).replaceAll('/', '.').replace(/^\./, '') || 'item'} ${p.message}`,
              )
              .join('; ');
            results.push({ index, status: 400, message });
            continue;
          }
          try {
            const body = item as ClientInput;
            const ref = itemRef(body);
            const { clientId: _ignored, ...fields } = body;
            const { profile } = await writeClient(services, environmentId, ref, fields);
            results.push({ index, status: 200, clientId: profile.id });
          } catch (error) {
            if (error instanceof SuppressedWrite) {
              results.push({ index, status: 202, message: error.message });
              continue;
            }
            if (!(error instanceof AppError) || error.status >= 500 || error.status === 429)
              throw error;
            results.push({ index, status: error.status, message: error.message });
          }
        }
        return { results };
      },
    );

    app.post(
      '/clients/merge/from/ids/:fromClientIds/to/id/:toClientId',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Merge profiles by clientId (comma-separated sources into the target)',
          description:
            'Each source is merged into the target: identifiers, attributes (newest value wins) ' +
            'and events. Every merge is logged and can be undone (native ' +
            '`POST /v1/profiles/{id}/merges/{mergeId}/undo`). Two profiles with different userIds ' +
            'are never merged (409).',
          tags: TAGS,
          params: Type.Object({
            fromClientIds: Type.String({ minLength: 1, maxLength: 4000 }),
            toClientId: Type.String({ minLength: 1, maxLength: 200 }),
          }),
          response: { 200: MergeResult, 409: Type.Ref('SpringError'), ...errorResponses },
        },
      },
      async (request) =>
        merge(
          environmentOf(request),
          { kind: 'id', id: request.params.toClientId },
          list(request.params.fromClientIds, 'fromClientIds').map((id) => ({ kind: 'id', id })),
        ),
    );

    app.post(
      '/clients/merge/from/custom-ids/:sourceCustomIDs/to/custom-id/:targetCustomID',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Merge profiles by customId (comma-separated sources into the target)',
          description: 'As the merge by clientId; the sources keep resolving to the target.',
          tags: TAGS,
          params: Type.Object({
            sourceCustomIDs: Type.String({ minLength: 1, maxLength: 4000 }),
            targetCustomID: Type.String({ minLength: 1, maxLength: 200 }),
          }),
          response: { 200: MergeResult, 409: Type.Ref('SpringError'), ...errorResponses },
        },
      },
      async (request) =>
        merge(
          environmentOf(request),
          refFor('customId', request.params.targetCustomID),
          list(request.params.sourceCustomIDs, 'sourceCustomIDs').map((id) =>
            refFor('customId', id),
          ),
        ),
    );
  };
}
