import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { BulkService, BulkStatus } from '../../modules/bulk/bulk-service.js';
import type { ExportProgress } from '../../modules/bulk/export-runner.js';
import type { ImportProgress } from '../../modules/bulk/import-runner.js';
import { environmentOf } from '../../platform/auth.js';
import { iso } from './native-presenters.js';

export interface BulkRouteServices {
  bulk: BulkService;
}

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];
const CSV_TYPES = ['text/csv'];
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const tags = ['bulk'];

const Accepted = Type.Object({
  id: Type.String(),
  status: Type.String({ enum: ['queued'] }),
  statusUrl: Type.String(),
});

function presentStatus<P>(s: BulkStatus<P>) {
  return {
    id: s.id,
    status: s.status,
    attempts: s.attempts,
    lastError: s.lastError,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    finishedAt: iso(s.finishedAt),
  };
}

function presentImport(s: BulkStatus<ImportProgress>) {
  const p = s.progress;
  return {
    ...presentStatus(s),
    format: s.options.format,
    map: s.options.map ?? null,
    progress: {
      lines: p.lines,
      applied: p.applied,
      duplicates: p.duplicates,
      suppressed: p.suppressed,
      rejected: p.rejected,
    },
    errors: p.errors,
  };
}

function presentExport(s: BulkStatus<ExportProgress & { bytes: number }>) {
  const p = s.progress;
  return {
    ...presentStatus(s),
    what: s.options.what,
    audience: s.options.audience ?? null,
    rule: s.options.rule ?? null,
    progress: { scanned: p.scanned, profiles: p.profiles, events: p.events, bytes: p.bytes },
    dataUrl: s.status === 'done' ? `/v1/exports/${s.id}/data` : null,
  };
}

/** The import body: NDJSON or CSV text as sent, or a JSON `{events: [...]}` turned into NDJSON. */
function importInput(request: FastifyRequest, map: string | undefined) {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const body = request.body;
  if (CSV_TYPES.includes(type)) return { format: 'csv' as const, text: String(body ?? ''), map };
  if (map !== undefined)
    throw new AppError('validation_failed', 'map applies to text/csv bodies only.');
  if (NDJSON_TYPES.includes(type)) return { format: 'ndjson' as const, text: String(body ?? '') };
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0)
    throw new AppError('validation_failed', 'The JSON body must be {"events": [...]}.', [
      { field: 'events', message: 'must be a non-empty array of events' },
    ]);
  return {
    format: 'ndjson' as const,
    text: events.map((event) => JSON.stringify(event)).join('\n'),
  };
}

/**
 * Bulk import and export as durable jobs: `POST /v1/imports` (write) with an NDJSON, CSV or
 * JSON body answers 202 and a job id; `GET /v1/imports/{id}` shows its progress.
 * `POST /v1/exports` (read) with `{what, audience?, rule?}`; `GET /v1/exports/{id}` and, once
 * done, `GET /v1/exports/{id}/data` (NDJSON); `DELETE /v1/exports/{id}` drops the result.
 */
export function bulkRoutes(services: BulkRouteServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser(
      [...NDJSON_TYPES, ...CSV_TYPES],
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );

    app.post(
      '/imports',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Start an import job',
          description:
            'The body (up to the body limit; gzip accepted) is one of: `application/x-ndjson`, one ' +
            'event per line, each naming its profile by userId, anonymousId or profileId; ' +
            '`text/csv` with a header row, one `identify` per row through `?map=col=field,...` ' +
            '(fields userId, anonymousId, profileId, messageId, timestamp, traits.<name>; ' +
            'without map, columns named like a field fill it and the others become traits); or ' +
            '`application/json` `{"events": [...]}`. Lines without messageId get one derived from ' +
            'their line number and content, so posting the same body again applies nothing twice.',
          tags,
          querystring: Type.Object({
            map: Type.Optional(Type.String({ minLength: 3, maxLength: 4000 })),
          }),
          response: { 202: Accepted },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const { id } = await services.bulk.createImport(
          environmentId,
          importInput(request, request.query.map),
        );
        const statusUrl = `/v1/imports/${id}`;
        return reply
          .status(202)
          .header('location', statusUrl)
          .send({ id, status: 'queued', statusUrl });
      },
    );

    app.get(
      '/imports/:id',
      {
        config: { scope: 'write' },
        schema: { summary: 'Status and progress of an import job', tags, params: IdParams },
      },
      async (request) =>
        presentImport(await services.bulk.importStatus(environmentOf(request), request.params.id)),
    );

    app.post(
      '/exports',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Start an export job',
          description:
            '`what`: `profiles` (one profile per NDJSON line, as the profile endpoints show it), ' +
            '`events` (one event per line, with its profileId) or `both` (`{"profile": …}` ' +
            'followed by its `{"event": …}` lines). Filter by a published `audience` id and/or ' +
            'an ad-hoc audience `rule`.',
          tags,
          body: Type.Object({
            what: Type.Optional(Type.String({ enum: ['profiles', 'events', 'both'] })),
            audience: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            rule: Type.Optional(Type.Unknown()),
          }),
          response: { 202: Accepted },
        },
      },
      async (request, reply) => {
        const { id } = await services.bulk.createExport(environmentOf(request), request.body);
        const statusUrl = `/v1/exports/${id}`;
        return reply
          .status(202)
          .header('location', statusUrl)
          .send({ id, status: 'queued', statusUrl });
      },
    );

    app.get(
      '/exports/:id',
      {
        config: { scope: 'read' },
        schema: { summary: 'Status and progress of an export job', tags, params: IdParams },
      },
      async (request) =>
        presentExport(await services.bulk.exportStatus(environmentOf(request), request.params.id)),
    );

    app.get(
      '/exports/:id/data',
      {
        config: { scope: 'read' },
        schema: {
          summary: "A finished export's NDJSON (409 while it runs)",
          tags,
          params: IdParams,
        },
      },
      async (request, reply) => {
        const chunks = await services.bulk.exportData(environmentOf(request), request.params.id);
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="export-${request.params.id}.ndjson"`,
          )
          .send(Readable.from(chunks));
      },
    );

    app.delete(
      '/exports/:id',
      {
        config: { scope: 'read' },
        schema: { summary: 'Delete an export and its data', tags, params: IdParams },
      },
      async (request, reply) => {
        await services.bulk.deleteExport(environmentOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
