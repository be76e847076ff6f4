import { parse as parseCsvSync } from 'csv-parse/sync';
import type { AudienceRule } from '../../engine/audience-types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { Storage } from '../../storage/storage.js';
import type { Job, JobQueue } from '../jobs/job-queue.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { BulkStore } from './bulk-store.js';
import {
  type BulkPresenter,
  type ExportDeps,
  type ExportProgress,
  type ExportSpec,
  emptyExportProgress,
  exportUnits,
  validateExportSpec,
} from './export-runner.js';
import { type ImportFormat, parseColumnMap, readCsv, readNdjson } from './import-records.js';
import { emptyImportProgress, type ImportProgress, runImport } from './import-runner.js';

export const IMPORT_JOB = 'bulk-import';
export const EXPORT_JOB = 'bulk-export';

/** Stored input and output are cut into chunks of about this many characters. */
const CHUNK_CHARS = 256 * 1024;

export interface BulkDeps extends ExportDeps {
  storage: Storage;
  ingest: ProfileIngestService;
  jobs: JobQueue;
  presenter: BulkPresenter;
  maxJsonDepth: number;
}

interface ImportOptions {
  format: ImportFormat;
  map?: string;
}

type StoredImportProgress = ImportProgress & { finished?: boolean; fatal?: string };
type StoredExportProgress = ExportProgress & {
  bytes: number;
  chunks: number;
  finished?: boolean;
};

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

class Interrupted extends Error {}

/** Cuts text into chunks, at a line end when one is near, never inside a surrogate pair. */
export function splitChunks(text: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1);
      if (nl >= start) end = nl + 1;
      else if (/[\uD800-\uDBFF]/.test(text[end - 1]!)) end -= 1;
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
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
    deps.jobs.register(IMPORT_JOB, (job) => this.runImportJob(job));
    deps.jobs.register(EXPORT_JOB, (job) => this.runExportJob(job));
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

  private async runImportJob(job: Job): Promise<void> {
    const { bulkId } = job.payload as { bulkId: string };
    const row = await this.store.findById(job.environmentId, bulkId);
    if (!row) return; // deleted meanwhile
    const saved = parseStored<StoredImportProgress>(row.progress);
    if (saved.finished) return;
    const options = parseStored<ImportOptions>(row.options);
    const input = this.store.readChunks(bulkId, 'input');
    let result: Awaited<ReturnType<typeof runImport>>;
    try {
      const records =
        options.format === 'csv'
          ? readCsv(input, options.map ? parseColumnMap(options.map) : null)
          : readNdjson(input, this.deps.maxJsonDepth);
      result = await runImport(this.deps.ingest, records, {
        environmentId: job.environmentId,
        source: 'import',
        resume: saved,
        signal: this.stopping.signal,
        onBatch: (progress) => this.store.saveProgress(bulkId, progress),
      });
    } catch (error) {
      // A problem with the input itself fails the job at once: a retry would meet it again.
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      await this.store.saveProgress(bulkId, { ...saved, fatal: error.message, finished: true });
      return;
    }
    if (result.interrupted)
      throw new Interrupted(`interrupted by shutdown after line ${result.progress.position}`);
    // The input is personal data that has served its purpose: only the counts are kept.
    await this.store.saveProgress(
      bulkId,
      { ...result.progress, finished: true },
      { dropInput: true },
    );
  }

  private async runExportJob(job: Job): Promise<void> {
    const { bulkId } = job.payload as { bulkId: string };
    const row = await this.store.findById(job.environmentId, bulkId);
    if (!row) return;
    let progress = parseStored<StoredExportProgress>(row.progress);
    if (progress.finished) return;
    const spec = parseStored<ExportSpec & { rule?: AudienceRule }>(row.options);
    let buffer: string[] = [];
    let size = 0;
    let latest: ExportProgress = progress;
    let savedAt = Date.now();
    const flush = async (finished: boolean) => {
      const data = buffer.join('');
      const next: StoredExportProgress = {
        ...latest,
        bytes: progress.bytes + Buffer.byteLength(data),
        chunks: progress.chunks + (data === '' ? 0 : 1),
        finished,
      };
      await this.store.saveProgress(bulkId, next, {
        output: data === '' ? undefined : { seq: progress.chunks, data },
      });
      progress = next;
      buffer = [];
      size = 0;
    };
    for await (const unit of exportUnits(
      this.deps,
      job.environmentId,
      spec,
      this.deps.presenter,
      progress,
    )) {
      for (const line of unit.lines) {
        buffer.push(`${line}\n`);
        size += line.length + 1;
      }
      latest = unit.progress;
      // A chunk is written when full; progress alone every 2 s (a narrow filter over many
      // profiles writes little), and at once on shutdown.
      const stopping = this.stopping.signal.aborted;
      if (size >= CHUNK_CHARS || stopping || Date.now() - savedAt >= 2000) {
        await flush(false);
        savedAt = Date.now();
      }
      if (stopping)
        throw new Interrupted(`interrupted by shutdown after ${progress.scanned} profiles`);
    }
    await flush(true);
  }
}

/** Refuses, before anything is queued, a CSV whose header lacks a mapped column. */
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
  const missing = (mappings ?? []).filter((m) => !names.includes(m.column)).map((m) => m.column);
  if (missing.length > 0)
    throw new AppError(
      'validation_failed',
      `Mapped column(s) not in the CSV header: ${missing.join(', ')}.`,
    );
}
