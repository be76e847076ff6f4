import type { CredentialStore } from './credential-store.js';

/**
 * Revoked credential ids, kept in memory so that signed tokens and cached keys are checked
 * without a database round trip. This process learns of its own revocations at once; other
 * processes sharing the database learn of them on the next poll (every second).
 */
export class RevocationCache {
  private readonly revoked = new Set<string>();
  private lastSeen = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: CredentialStore) {}

  /** Loads every revocation, then polls for new ones. */
  async start(pollMs = 1000): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll().catch(() => {}), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  isRevoked(credentialId: string): boolean {
    return this.revoked.has(credentialId);
  }

  add(credentialId: string): void {
    this.revoked.add(credentialId);
  }

  private async poll(): Promise<void> {
    // A small overlap absorbs clock differences between processes writing revoked_at.
    const rows = await this.store.findRevokedSince(this.lastSeen - 5_000);
    for (const row of rows) {
      this.revoked.add(row.id);
      if (row.revoked_at > this.lastSeen) this.lastSeen = row.revoked_at;
    }
  }
}
