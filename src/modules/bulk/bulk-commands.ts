import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors/app-error.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import { fmt, ProgressLine, type ProgressOutput, rate } from './bulk-progress.js';
import {
  type BulkPresenter,
  type ExportDeps,
  type ExportProgress,
  exportUnits,
  validateExportSpec,
} from './export-runner.js';
import { type ImportFormat, parseColumnMap, readCsv, readNdjson } from './import-records.js';
import { type ImportProgress, runImport } from './import-runner.js';

/** Where a command writes: its result (stdout) and its progress and warnings (stderr). */
export interface CommandIo {
  out: ProgressOutput;
  err: ProgressOutput;
  now?: () => number;
}

export interface ImportFileOptions {
  environmentId: string;
  file: string;
  format?: ImportFormat;
  map?: string;
  batchSize?: number;
  concurrency?: number;
  maxJsonDepth: number;
  signal?: AbortSignal;
}

/** The format a file name suggests: `.csv` is CSV, anything else NDJSON. */
export function formatOf(file: string): ImportFormat {
  return path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'ndjson';
}

function problemMessage(error: unknown): string {
  return error instanceof AppError ? error.message : String(error);
}

/**
 * `tessera import FILE`: streams the file through the ingest path in batches, with a progress
 * line on stderr and a summary on stdout. A re-run of the same file skips what was applied.
 */
export async function importFile(
  ingest: ProfileIngestService,
  options: ImportFileOptions,
  io: CommandIo,
): Promise<{ progress: ImportProgress; interrupted: boolean }> {
  const now = io.now ?? Date.now;
  const format = options.format ?? formatOf(options.file);
  const mappings = options.map ? parseColumnMap(options.map) : null;
  if (mappings && format !== 'csv')
    throw new AppError('validation_failed', '--map applies to CSV imports only.');
  const info = await stat(options.file).catch(() => null);
  if (!info?.isFile()) throw new AppError('not_found', `No such file: ${options.file}`);

  const input = createReadStream(options.file, { highWaterMark: 256 * 1024 });
  const records =
    format === 'csv' ? readCsv(input, mappings) : readNdjson(input, options.maxJsonDepth);
  const started = now();
  const bar = new ProgressLine(io.err, now);
  const line = (p: ImportProgress) =>
    `line ${fmt(p.lines)} · ${fmt(p.applied)} applied · ${fmt(p.duplicates)} duplicates · ` +
    `${fmt(p.rejected)} rejected · ${fmt(rate(p.lines, started, now()))} lines/s`;
  try {
    const result = await runImport(ingest, records, {
      environmentId: options.environmentId,
      source: 'import',
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      signal: options.signal,
      onBatch: (p) => bar.update(() => line(p)),
      now,
    });
    bar.finish(line(result.progress));
    io.out.write(importSummary(options.file, format, result, now() - started));
    return result;
  } finally {
    input.destroy();
  }
}

function importSummary(
  file: string,
  format: ImportFormat,
  result: { progress: ImportProgress; interrupted: boolean },
  ms: number,
): string {
  const p = result.progress;
  const out = [
    `${result.interrupted ? 'Interrupted' : 'Imported'} ${file} (${format}): ${fmt(p.lines)} lines in ${(ms / 1000).toFixed(1)} s (${fmt((p.lines * 1000) / Math.max(ms, 1))} lines/s)`,
    `  applied     ${fmt(p.applied)}`,
    `  duplicates  ${fmt(p.duplicates)}`,
    `  suppressed  ${fmt(p.suppressed)}`,
    `  rejected    ${fmt(p.rejected)}`,
  ];
  if (p.errors.length > 0) {
    out.push(`Rejected lines (first ${p.errors.length} of ${fmt(p.rejected)}):`);
    for (const e of p.errors) out.push(`  line ${e.line}: ${e.reason}`);
  }
  if (result.interrupted)
    out.push(
      `Stopped after line ${fmt(p.position)}. Run the same command again to resume: events already applied are skipped.`,
    );
  return `${out.join('\n')}\n`;
}

export interface ExportFileOptions {
  environmentId: string;
  what?: string;
  audience?: string;
  rule?: string;
  /** A file (written as `FILE.partial`, renamed when complete); stdout without it. */
  out?: string;
  signal?: AbortSignal;
}

/**
 * `tessera export`: profiles and/or events as NDJSON to a file or stdout, filtered by a
 * published audience or an ad-hoc rule, with progress and a summary on stderr.
 */
export async function exportFile(
  deps: ExportDeps,
  presenter: BulkPresenter,
  options: ExportFileOptions,
  io: CommandIo & { stdout: NodeJS.WritableStream },
): Promise<{ progress: ExportProgress; interrupted: boolean }> {
  const now = io.now ?? Date.now;
  let rule: unknown;
  if (options.rule !== undefined) {
    try {
      rule = JSON.parse(options.rule);
    } catch (error) {
      throw new AppError('validation_failed', `--rule is not JSON: ${problemMessage(error)}`);
    }
  }
  const spec = await validateExportSpec(deps, options.environmentId, {
    what: options.what,
    audience: options.audience,
    rule,
  });
  const partial = options.out ? `${options.out}.partial` : null;
  const sink = partial ? createWriteStream(partial) : io.stdout;
  const started = now();
  const bar = new ProgressLine(io.err, now);
  const line = (p: ExportProgress) =>
    `${fmt(p.scanned)} profiles scanned · ${fmt(p.profiles)} exported · ${fmt(p.events)} events · ` +
    `${fmt(rate(p.scanned, started, now()))} profiles/s`;
  let progress: ExportProgress | null = null;
  let interrupted = false;
  try {
    for await (const unit of exportUnits(deps, options.environmentId, spec, presenter)) {
      progress = unit.progress;
      if (unit.lines.length > 0 && !sink.write(`${unit.lines.join('\n')}\n`))
        await once(sink, 'drain');
      bar.update(() => line(unit.progress));
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (partial) {
      await new Promise<void>((resolve, reject) =>
        sink.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      if (!interrupted) await rename(partial, options.out!);
    }
  } catch (error) {
    if (partial) {
      sink.end();
      await unlink(partial).catch(() => undefined);
    }
    throw error;
  }
  const final = progress ?? { scanned: 0, profiles: 0, events: 0, cursor: { after: null } };
  bar.finish(line(final));
  const seconds = ((now() - started) / 1000).toFixed(1);
  io.err.write(
    `${interrupted ? 'Interrupted' : 'Exported'} ${fmt(final.profiles)} profiles and ${fmt(final.events)} events ` +
      `(${fmt(final.scanned)} profiles scanned) to ${options.out ?? 'stdout'} in ${seconds} s` +
      `${interrupted && partial ? `; the partial output is in ${partial}` : ''}\n`,
  );
  return { progress: final, interrupted };
}
