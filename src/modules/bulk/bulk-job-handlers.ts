/**
 * What a queued bulk job does when the job queue runs it: an import streams its stored input
 * through the import runner, an export writes the export runner's lines as output chunks. Both
 * save progress at every checkpoint, resume from it, and stop at the next one on shutdown.
 * BulkService registers these handlers and owns the rest (creating jobs, their status).
 */
import type { AudienceRule } from '../../engine/audience-types.js';
import { AppError } from '../../errors/app-error.js';
import { parseStored } from '../../lib/json.js';
import type { Job } from '../jobs/job-queue.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { CHUNK_CHARS } from './bulk-chunks.js';
import type { BulkStore } from './bulk-store.js';
import {
  type BulkPresenter,
  type ExportDeps,
  type ExportProgress,
  type ExportSpec,
  exportUnits,
} from './export-runner.js';
import { type ImportFormat, parseColumnMap, readCsv, readNdjson } from './import-records.js';
import { type ImportProgress, runImport } from './import-runner.js';

/** The services the job handlers run imports and exports with (part of `BulkDeps`). */
export interface BulkJobDeps extends ExportDeps {
  ingest: ProfileIngestService;
  presenter: BulkPresenter;
  maxJsonDepth: number;
}

/** What a handler works with: BulkService's deps, its store, and the signal its `stop` aborts. */
export interface BulkJobContext {
  deps: BulkJobDeps;
  store: BulkStore;
  signal: AbortSignal;
}

/** An import's options, as stored with its job. */
export interface ImportOptions {
  format: ImportFormat;
  map?: string;
}

export type StoredImportProgress = ImportProgress & { finished?: boolean; fatal?: string };
export type StoredExportProgress = ExportProgress & {
  bytes: number;
  chunks: number;
  finished?: boolean;
};

class Interrupted extends Error {}

export async function runImportJob(ctx: BulkJobContext, job: Job): Promise<void> {
  const { deps, store, signal } = ctx;
  const { bulkId } = job.payload as { bulkId: string };
  const row = await store.findById(job.environmentId, bulkId);
  if (!row) return; // deleted meanwhile
  const saved = parseStored<StoredImportProgress>(row.progress);
  if (saved.finished) return;
  const options = parseStored<ImportOptions>(row.options);
  const input = store.readChunks(bulkId, 'input');
  let result: Awaited<ReturnType<typeof runImport>>;
  try {
    const records =
      options.format === 'csv'
        ? readCsv(input, options.map ? parseColumnMap(options.map) : null)
        : readNdjson(input, deps.maxJsonDepth);
    result = await runImport(deps.ingest, records, {
      environmentId: job.environmentId,
      source: 'import',
      resume: saved,
      signal,
      onBatch: (progress) => store.saveProgress(bulkId, progress),
    });
  } catch (error) {
    // A problem with the input itself fails the job at once: a retry would meet it again.
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    await store.saveProgress(bulkId, { ...saved, fatal: error.message, finished: true });
    return;
  }
  if (result.interrupted)
    throw new Interrupted(`interrupted by shutdown after line ${result.progress.position}`);
  // The input is personal data that has served its purpose: only the counts are kept.
  await store.saveProgress(bulkId, { ...result.progress, finished: true }, { dropInput: true });
}

/** Longest stretch an export works without letting requests in, ms. */
const YIELD_AFTER_MS = 10;

export async function runExportJob(ctx: BulkJobContext, job: Job): Promise<void> {
  const { deps, store, signal } = ctx;
  const { bulkId } = job.payload as { bulkId: string };
  const row = await store.findById(job.environmentId, bulkId);
  if (!row) return;
  let progress = parseStored<StoredExportProgress>(row.progress);
  if (progress.finished) return;
  const spec = parseStored<ExportSpec & { rule?: AudienceRule }>(row.options);
  let buffer: string[] = [];
  let size = 0;
  // The profiles the buffered lines copy: checked when they are stored (see saveProgress).
  let mentioned = new Set<string>();
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
    await store.saveProgress(bulkId, next, {
      output: data === '' ? undefined : { seq: progress.chunks, data, mentions: [...mentioned] },
    });
    progress = next;
    buffer = [];
    size = 0;
    mentioned = new Set();
  };
  let ranSince = Date.now();
  for await (const unit of exportUnits(deps, job.environmentId, spec, deps.presenter, progress)) {
    // SQLite's reads are synchronous: without a pause, an export would keep the event loop (and
    // every request of this process) waiting for seconds at a time.
    if (Date.now() - ranSince >= YIELD_AFTER_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      ranSince = Date.now();
    }
    for (const line of unit.lines) {
      buffer.push(`${line}\n`);
      size += line.length + 1;
    }
    if (unit.lines.length > 0) for (const id of unit.profileIds ?? []) mentioned.add(id);
    latest = unit.progress;
    // A chunk is written when full; progress alone every 2 s (a narrow filter over many
    // profiles writes little), and at once on shutdown.
    const stopping = signal.aborted;
    if (size >= CHUNK_CHARS || stopping || Date.now() - savedAt >= 2000) {
      await flush(false);
      savedAt = Date.now();
    }
    if (stopping)
      throw new Interrupted(`interrupted by shutdown after ${progress.scanned} profiles`);
  }
  await flush(true);
}
