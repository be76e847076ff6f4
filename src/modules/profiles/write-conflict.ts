/**
 * Thrown inside a write job when another writer got there first (a stale version, or an
 * identifier claimed meanwhile). The service reloads and retries; callers never see it.
 */
export class WriteConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteConflict';
  }
}
