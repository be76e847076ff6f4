/**
 * The bulk API's service: creates import and export jobs, reports their status and serves an
 * export's data. What a job does once the queue runs it is in bulk-job-handlers.ts.
 */
import { parse as parseCsvSync } from 'csv-parse/sync';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { Storage } from '../../storage/storage.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { splitChunks } from './bulk-chunks.js';
import {
  type BulkJobContext,
  type BulkJobDeps,
  type ImportOptions,
  runExportJob,
  runImportJob,
  type StoredExportProgress,
  type StoredImportProgress,
} from './bulk-job-handlers.js';
import { BulkStore } from './bulk-store.js';
import { emptyExportProgress, validateExportSpec } from './export-runner.js';
import { defaultColumnMap, type ImportFormat, parseColumnMap } from './import-records.js';
import { emptyImportProgress } from './import-runner.js';

export const IMPORT_JOB = 'bulk-import';
export const EXPORT_JOB = 'bulk-export';

export interface BulkDeps extends BulkJobDeps {
  storage: Storage;
  jobs: JobQueue;
}

/** A bulk job as the status endpoints show it. */
export interface BulkStatus<P> {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  options: Record<string, unknown>;
  progress: P;
}

/**
 * Imports and exports as durable jobs. The request's input is stored before the job is queued;
 * the job streams it through the same runners as the CLI, saving progress after every batch
 * (imports) or output chunk (exports) in the transaction that commits them, so a job resumed
 * after a restart continues from its checkpoint and, thanks to messageIds, applies nothing
 * twice. On shutdown a running job stops at its next checkpoint and is queued again.
 */
export class BulkService {
  private readonly store: BulkStore;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: BulkDeps) {
    this.store = new BulkStore(deps.storage);
    const context: BulkJobContext = { deps, store: this.store, signal: this.stopping.signal };
    deps.jobs.register(IMPORT_JOB, (job) => runImportJob(context, job));
    deps.jobs.register(EXPORT_JOB, (job) => runExportJob(context, job));
  }

  /** Makes running jobs stop at their next checkpoint (call before stopping the job queue). */
  stop(): void {
    this.stopping.abort();
  }

  async createImport(
    environmentId: string,
    input: { format: ImportFormat; text: string; map?: string },
  ): Promise<{ id: string }> {
    if (input.text.trim() === '') throw new AppError('validation_failed', 'The import is empty.');
    // Stored as text before any line is read, and no database text holds a NUL (PostgreSQL
    // refuses it): a file with one is refused whole.
    if (input.text.includes('\u0000'))
      throw new AppError('validation_failed', 'The import holds a NUL character.');
    if (input.format === 'csv') checkCsvHeader(input.text, input.map);
    const options: ImportOptions = { format: input.format, map: input.map };
    return this.create(environmentId, 'import', options, emptyImportProgress(), input.text);
  }

  async createExport(
    environmentId: string,
    input: { what?: string; audience?: string; rule?: unknown },
  ): Promise<{ id: string }> {
    const spec = await validateExportSpec(this.deps, environmentId, input);
    const progress: StoredExportProgress = { ...emptyExportProgress(), bytes: 0, chunks: 0 };
    return this.create(environmentId, 'export', spec, progress, '');
  }

  importStatus(environmentId: string, id: string): Promise<BulkStatus<StoredImportProgress>> {
    return this.status(environmentId, id, 'import');
  }

  exportStatus(environmentId: string, id: string): Promise<BulkStatus<StoredExportProgress>> {
    return this.status(environmentId, id, 'export');
  }

  /** A finished export's NDJSON, chunk by chunk. */
  async exportData(environmentId: string, id: string): Promise<AsyncIterable<string>> {
    const status = await this.exportStatus(environmentId, id);
    if (status.status !== 'done')
      throw new AppError('conflict', `The export is ${status.status}; its data is not ready.`);
    return this.store.readChunks(id, 'output');
  }

  async deleteExport(environmentId: string, id: string): Promise<void> {
    await this.exportStatus(environmentId, id);
    await this.store.delete(environmentId, id);
  }

  private async create(
    environmentId: string,
    kind: 'import' | 'export',
    options: object,
    progress: object,
    input: string,
  ): Promise<{ id: string }> {
    const id = newId();
    const now = Date.now();
    await this.store.insert(
      {
        id,
        environment_id: environmentId,
        kind,
        job_id: null,
        options: JSON.stringify(options),
        progress: JSON.stringify(progress),
        created_at: now,
        updated_at: now,
      },
      input === '' ? [] : splitChunks(input),
    );
    const job = await this.deps.jobs.enqueue(
      environmentId,
      kind === 'import' ? IMPORT_JOB : EXPORT_JOB,
      { bulkId: id },
    );
    await this.store.setJobId(id, job.id);
    return { id };
  }

  private async status<P>(
    environmentId: string,
    id: string,
    kind: 'import' | 'export',
  ): Promise<BulkStatus<P>> {
    const row = await this.store.findById(environmentId, id);
    if (!row || row.kind !== kind) throw new AppError('not_found', `No such ${kind}.`);
    const job = row.job_id ? await this.deps.jobs.status(environmentId, row.job_id) : undefined;
    const progress = parseStored<P & { fatal?: string }>(row.progress);
    const failed = job?.status === 'failed' || progress.fatal !== undefined;
    return {
      id: row.id,
      status: failed ? 'failed' : (job?.status ?? 'queued'),
      attempts: job?.attempts ?? 0,
      lastError: progress.fatal ?? job?.lastError ?? null,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      finishedAt: job?.finishedAt ?? null,
      options: parseStored(row.options),
      progress,
    };
  }
}

/**
 * Refuses, before anything is queued, a CSV whose header lacks a mapped column or, unmapped,
 * names a reserved key (see defaultColumnMap).
 */
function checkCsvHeader(text: string, map: string | undefined): void {
  const mappings = map ? parseColumnMap(map) : null;
  const firstLine = text.slice(0, Math.min(text.length, 64 * 1024)).split('\n', 1)[0]!;
  let header: string[];
  try {
    header = (parseCsvSync(firstLine, { bom: true, relax_quotes: true }) as string[][])[0] ?? [];
  } catch (error) {
    throw new AppError(
      'validation_failed',
      `The CSV header is not readable: ${(error as Error).message}`,
    );
  }
  const names = header.map((h) => h.trim());
  if (!mappings) defaultColumnMap(names);
  const missing = (mappings ?? []).filter((m) => !names.includes(m.column)).map((m) => m.column);
  if (missing.length > 0)
    throw new AppError(
      'validation_failed',
      `Mapped column(s) not in the CSV header: ${missing.join(', ')}.`,
    );
}
