/**
 * One ISO-8601 parser for the whole code base. `Date.parse` is not used because it silently
 * rolls "Feb 30" over to March and reads zone-less times in the server's local zone, which would
 * make results depend on the host. A time without a zone is read as UTC.
 */
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:([Tt ])(\d{2}):(\d{2})(?::(\d{2})(?:([.,])(\d+))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

export interface IsoOptions {
  /** Demand `YYYY-MM-DDThh:mm:ss` at least: a `T` separator, seconds, and a `.` fraction. */
  strictDateTime?: boolean;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Epoch ms of an ISO-8601 date or date-time, or NaN when the text is not one. */
export function parseIsoTime(text: string, options: IsoOptions = {}): number {
  const m = ISO_PATTERN.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, separator, h = '0', mi = '0', s, fractionMark, frac = '', zone = 'Z'] = m;
  if (options.strictDateTime) {
    if (separator === undefined || separator === ' ' || s === undefined) return Number.NaN;
    if (fractionMark === ',' || frac.length > 9) return Number.NaN;
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return Number.NaN;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000;
}
