import type { CanonicalEvent } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { prepareEvents } from '../events/event-intake.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import type { ImportRecord } from './import-records.js';

/** Counts of an import so far, and the checkpoint a resumed run starts after. */
export interface ImportProgress {
  /** Last line read. */
  lines: number;
  /** Events applied to profiles. */
  applied: number;
  /** Events already applied before (same messageId): a re-run applies nothing twice. */
  duplicates: number;
  /** Events of opted-out people, dropped. */
  suppressed: number;
  /** Lines refused: unreadable, invalid, or refused by the core (identity conflict). */
  rejected: number;
  /** The first problems, by line. */
  errors: Array<{ line: number; reason: string }>;
  /** Every line up to this one is done (applied, duplicate or rejected). */
  position: number;
}

export function emptyImportProgress(): ImportProgress {
  return {
    lines: 0,
    applied: 0,
    duplicates: 0,
    suppressed: 0,
    rejected: 0,
    errors: [],
    position: 0,
  };
}

export interface ImportRunOptions {
  environmentId: string;
  /** Kept as the trait source of what the import writes. */
  source: string;
  /** Events per batch (default 500): the unit of progress and of resumption. */
  batchSize?: number;
  /**
   * Profiles applied at once within a batch (default 16): `ingestBatch` applies the groups of
   * events that share no identifier concurrently, so that the group-commit writer commits many
   * profiles per transaction.
   */
  concurrency?: number;
  /** How many problems are listed (all are counted); default 20. */
  maxErrors?: number;
  /** Resume: counts so far; records up to `position` are skipped. */
  resume?: ImportProgress;
  /** Stops cleanly after the batch in progress. */
  signal?: AbortSignal;
  /** After each batch, once its events are committed: a checkpoint and a progress report. */
  onBatch?: (progress: ImportProgress) => Promise<void> | void;
  now?: () => number;
}

const RETRY_ROUNDS = 5;

/**
 * Streams import records through the ingest path in batches: each record is validated alone
 * (a bad line is counted and listed, never fatal), valid events go through `ingestBatch`, which
 * groups them by profile and drops messageIds already applied. Memory holds one batch.
 * Resolves with the final counts, `interrupted` when the signal stopped it early.
 */
export async function runImport(
  ingest: ProfileIngestService,
  records: AsyncIterable<ImportRecord>,
  options: ImportRunOptions,
): Promise<{ progress: ImportProgress; interrupted: boolean }> {
  const batchSize = options.batchSize ?? 500;
  const maxErrors = options.maxErrors ?? 20;
  const now = options.now ?? Date.now;
  const progress: ImportProgress = options.resume
    ? { ...options.resume, errors: [...options.resume.errors] }
    : emptyImportProgress();
  const startAfter = progress.position;
  let batch: Array<{ line: number; raw: Record<string, unknown> }> = [];

  const reject = (line: number, reason: string) => {
    progress.rejected += 1;
    if (progress.errors.length < maxErrors) progress.errors.push({ line, reason });
  };

  const flush = async (position: number) => {
    const pending = batch;
    batch = [];
    const receivedAt = now();
    const events: CanonicalEvent[] = [];
    const lines: number[] = [];
    for (const { line, raw } of pending) {
      try {
        events.push(
          ...prepareEvents([raw], { receivedAt, requireProfileKey: true, rules: 'tracking' }),
        );
        lines.push(line);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        reject(line, describe(error));
      }
    }
    await ingestWithRetry(ingest, options, events, lines, progress, reject);
    progress.position = position;
    await options.onBatch?.(progress);
  };

  for await (const record of records) {
    if (record.line <= startAfter) continue;
    progress.lines = record.line;
    if (record.error !== undefined) reject(record.line, record.error);
    else batch.push({ line: record.line, raw: record.event! });
    if (batch.length >= batchSize) {
      await flush(record.line);
      if (options.signal?.aborted) return { progress, interrupted: true };
    }
  }
  await flush(progress.lines);
  return { progress, interrupted: false };
}

/** Applies one batch; groups answered `profile_overloaded` are tried again before giving up. */
async function ingestWithRetry(
  ingest: ProfileIngestService,
  options: ImportRunOptions,
  events: CanonicalEvent[],
  lines: number[],
  progress: ImportProgress,
  reject: (line: number, reason: string) => void,
): Promise<void> {
  const ctx = { environmentId: options.environmentId, source: options.source };
  const concurrency = options.concurrency ?? 16;
  let todo = events;
  let todoLines = lines;
  for (let round = 0; todo.length > 0; round++) {
    const outcomes = await ingest.ingestBatch(ctx, todo, concurrency);
    const retry: CanonicalEvent[] = [];
    const retryLines: number[] = [];
    for (const outcome of outcomes) {
      if (outcome.result) {
        progress.applied += outcome.result.applied;
        progress.duplicates += outcome.result.duplicates;
        progress.suppressed += outcome.result.suppressed;
        continue;
      }
      const error = outcome.error!;
      for (const index of outcome.indexes) {
        if (error.code === 'profile_overloaded' && round < RETRY_ROUNDS) {
          retry.push(todo[index]!);
          retryLines.push(todoLines[index]!);
        } else reject(todoLines[index]!, describe(error));
      }
    }
    if (retry.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    todo = retry;
    todoLines = retryLines;
  }
}

function describe(error: AppError): string {
  const issues = error.issues?.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
  return issues ? `${error.code}: ${issues}` : `${error.code}: ${error.message}`;
}
