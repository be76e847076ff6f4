/** Validation of the optional filters of consent, preference and history reads. */
import { attachmentKey, parseAttachmentKey } from './consent-state.js';
import {
  attachment,
  checkName,
  type FieldIssue,
  Issues,
  type Validated,
} from './consent-validate-fields.js';

/**
 * A data point as a client writes it in a filter (`contact:email:Ann@Example.com`), normalized
 * the way stored attachments are; undefined when it is not a valid attachment key.
 */
export function normalizeAttachmentKey(key: string): string | undefined {
  const parsed = parseAttachmentKey(key);
  if (!parsed) return undefined;
  const c = new Issues();
  const valid = attachment(c, parsed);
  return valid && c.list.length === 0 ? attachmentKey(valid) : undefined;
}

/** The optional filters of a consent, preference or history read. */
export interface ConsentReadFilter {
  purpose?: string;
  topic?: string;
  channel?: string;
  dataPoint?: string;
  cursor?: string;
}

// History cursors are the UUIDv7 ids of history entries.
const HISTORY_CURSOR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks a read's filters: names as names are checked, a data point normalized, a cursor. */
export function validateReadFilter(query: ConsentReadFilter): Validated<ConsentReadFilter> {
  const errors: FieldIssue[] = [];
  const value: ConsentReadFilter = {};
  for (const field of ['purpose', 'topic', 'channel'] as const) {
    const name = query[field];
    if (name === undefined) continue;
    const problem = checkName(name);
    if (problem) errors.push({ field, message: problem });
    value[field] = name;
  }
  if (query.dataPoint !== undefined) {
    value.dataPoint = normalizeAttachmentKey(query.dataPoint);
    if (value.dataPoint === undefined)
      errors.push({ field: 'dataPoint', message: 'is not a data point' });
  }
  if (query.cursor !== undefined) {
    if (!HISTORY_CURSOR.test(query.cursor))
      errors.push({ field: 'cursor', message: 'is not a cursor this API returned' });
    value.cursor = query.cursor;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
