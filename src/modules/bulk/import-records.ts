import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse';
import { AppError } from '../../errors/app-error.js';
import { unstorable } from '../../lib/json-input.js';

/** One line (NDJSON) or row (CSV) of an import: a raw event, or why it is unusable. */
export interface ImportRecord {
  /** 1-based line of the source where the record ends. */
  line: number;
  event?: Record<string, unknown>;
  error?: string;
}

export type ImportFormat = 'ndjson' | 'csv';

/** A CSV column and the event field it fills. */
export interface ColumnMapping {
  column: string;
  field: string;
}

/** The longest line (or CSV record) read; a longer one is reported and skipped, never buffered. */
export const MAX_RECORD_BYTES = 1024 * 1024;

const SCALAR_FIELDS = new Set(['userId', 'anonymousId', 'profileId', 'messageId', 'timestamp']);
const TRAIT_PATH = /^traits\.[^.\s]+(\.[^.\s]+)*$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The messageId of a line that carries none: a hash of the line number and the line itself, so
 * that importing the same file again (after an interruption, or a file that grew) gives every
 * line the id it had before and nothing is applied twice, while an edited line is new.
 */
export function derivedMessageId(line: number, content: string): string {
  const hash = createHash('sha256').update(`${line}\n${content}`).digest('base64url');
  return `import-${hash.slice(0, 32)}`;
}

/**
 * Parses `--map email=traits.email,user_id=userId`: each CSV column onto `userId`,
 * `anonymousId`, `profileId`, `messageId`, `timestamp` or `traits.<path>`.
 */
export function parseColumnMap(spec: string): ColumnMapping[] {
  const mappings: ColumnMapping[] = [];
  for (const part of spec.split(',')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const column = eq > 0 ? pair.slice(0, eq).trim() : '';
    const field = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (!column || !(SCALAR_FIELDS.has(field) || TRAIT_PATH.test(field))) {
      throw new AppError(
        'validation_failed',
        `Bad mapping "${pair}": use column=field with field one of ${[...SCALAR_FIELDS].join(', ')} or traits.<name>.`,
      );
    }
    if (field.split('.').some((key) => FORBIDDEN_KEYS.has(key)))
      throw new AppError('validation_failed', `Bad mapping "${pair}": reserved key.`);
    mappings.push({ column, field });
  }
  if (mappings.length === 0) throw new AppError('validation_failed', 'The column map is empty.');
  return mappings;
}

/**
 * Without `--map`: columns named like an event field (`userId`, …, `traits.<path>`) fill it,
 * every other column a trait of its name (dots nest: `address.city`). A column whose path holds
 * `__proto__`, `constructor` or `prototype` stops the import: written through, such a key would
 * reach objects shared by every request of the process.
 */
export function defaultColumnMap(header: string[]): ColumnMapping[] {
  return header
    .filter((column) => column !== '')
    .map((column) => {
      const field =
        SCALAR_FIELDS.has(column) || column.startsWith('traits.') ? column : `traits.${column}`;
      const reserved = field.split('.').find((key) => FORBIDDEN_KEYS.has(key));
      if (reserved !== undefined)
        throw new AppError(
          'validation_failed',
          `CSV column "${column}": reserved key "${reserved}".`,
        );
      return { column, field };
    });
}

/** Splits a byte stream into lines (LF or CRLF) without ever holding more than one line. */
export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes = MAX_RECORD_BYTES,
): AsyncGenerator<{ line: number; text?: string; tooLong?: true }> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let line = 0;
  const finish = (): { line: number; text?: string; tooLong?: true } => {
    line += 1;
    const result = skipping
      ? { line, tooLong: true as const }
      : { line, text: Buffer.concat(parts, size).toString('utf8').replace(/\r$/, '') };
    parts = [];
    size = 0;
    skipping = false;
    return result;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!skipping) {
        if (size + (end - start) > maxBytes) {
          skipping = true;
          parts = [];
          size = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (size > 0 || skipping) yield finish();
}

function checkShape(value: unknown, maxDepth: number): string | null {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') {
      const flaw = unstorable(node);
      if (flaw) return flaw;
      continue;
    }
    if (depth > maxDepth) return `JSON nested deeper than ${maxDepth} levels`;
    for (const [key, child] of Object.entries(node)) {
      if (FORBIDDEN_KEYS.has(key)) return `forbidden key "${key}"`;
      const flaw = unstorable(key);
      if (flaw) return `${flaw} in a key`;
      stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** NDJSON: one event object per line; blank lines are skipped, bad ones reported. */
export async function* readNdjson(
  input: AsyncIterable<Buffer | string>,
  maxDepth: number,
): AsyncGenerator<ImportRecord> {
  for await (const { line, text, tooLong } of readLines(input)) {
    if (tooLong) {
      yield { line, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
      continue;
    }
    const trimmed = text!.trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      yield { line, error: `invalid JSON: ${(error as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, error: 'not a JSON object' };
      continue;
    }
    // The same limits as a request body: nesting depth and prototype-poisoning keys.
    const problem = checkShape(value, maxDepth);
    if (problem) {
      yield { line, error: problem };
      continue;
    }
    const event = value as Record<string, unknown>;
    if (event.messageId === undefined || event.messageId === null || event.messageId === '')
      event.messageId = derivedMessageId(line, trimmed);
    yield { line, event };
  }
}

/** Sets a nested trait (the column maps have refused reserved keys, see FORBIDDEN_KEYS). */
function setPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** One CSV row as an `identify` event: mapped columns only, empty cells left out. */
export function rowToEvent(
  row: Record<string, string>,
  mappings: ColumnMapping[],
  line: number,
): Record<string, unknown> {
  const event: Record<string, unknown> = { type: 'identify' };
  const traits: Record<string, unknown> = {};
  for (const { column, field } of mappings) {
    const value = row[column];
    if (value === undefined || value === '') continue;
    if (field.startsWith('traits.')) setPath(traits, field.split('.').slice(1), value);
    else event[field] = value;
  }
  if (Object.keys(traits).length > 0) event.traits = traits;
  if (event.messageId === undefined)
    event.messageId = derivedMessageId(line, JSON.stringify(event));
  return event;
}

/**
 * CSV with a header row: each row becomes one `identify` event through the column map (or
 * {@link defaultColumnMap}). A mapped column missing from the header stops the import before
 * anything is applied; a malformed row is reported and skipped.
 */
export async function* readCsv(
  input: AsyncIterable<Buffer | string>,
  mappings: ColumnMapping[] | null,
): AsyncGenerator<ImportRecord> {
  let active: ColumnMapping[] = mappings ?? [];
  const skipped: ImportRecord[] = [];
  const parser = parseCsv({
    bom: true,
    columns: (header: string[]) => {
      const names = header.map((h) => String(h).trim());
      if (mappings) {
        const missing = mappings.filter((m) => !names.includes(m.column)).map((m) => m.column);
        if (missing.length > 0)
          throw new AppError(
            'validation_failed',
            `Mapped column(s) not in the CSV header: ${missing.join(', ')}.`,
          );
      } else active = defaultColumnMap(names);
      return names;
    },
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // A stray quote inside a field is text: strictly, it would leave the parser inside a quoted
    // field that swallowed every row after it.
    relax_quotes: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  parser.on('skip', (error: Error & { lines?: number }) => {
    skipped.push({ line: error.lines ?? 0, error: `malformed CSV: ${error.message}` });
  });
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
      }
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  for await (const item of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    yield { line: item.info.lines, event: rowToEvent(item.record, active, item.info.lines) };
  }
  await feed;
  while (skipped.length > 0) yield skipped.shift()!;
}
