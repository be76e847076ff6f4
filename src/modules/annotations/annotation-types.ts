import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import type { ProfileWriteGuard } from '../consents/consent-guard.js';

/**
 * The profile an annotation belongs to: its id and the ids merged into it (a `ProfileState`
 * fits). Reads cover the whole tree, so what was written to a profile before it was merged stays
 * visible on the survivor; writes go to `id`.
 */
export interface AnnotationSubject {
  id: string;
  mergedIds?: readonly string[];
}

/**
 * Runs a write for one profile in a transaction that lands before a deletion or erasure of the
 * profile or not at all (the consents module's `profileWriteGuard`).
 */
export type AnnotationWriteGuard = ProfileWriteGuard;

/** Where a profile id points now (itself, or its survivor), or undefined when it is gone. */
export type LiveIdResolver = (
  environmentId: string,
  profileId: string,
) => Promise<string | undefined>;

/** A note about a profile. Times are epoch milliseconds. */
export interface Note {
  id: string;
  /** The profile it was written to (a profile merged into the one asked about, maybe). */
  profileId: string;
  subject: string | null;
  content: string;
  createdAt: number;
  updatedAt: number;
}

/** A tag of an environment. */
export interface Tag {
  id: string;
  name: string;
  description: string | null;
  color: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A tag as assigned to a profile. */
export interface ProfileTag extends Tag {
  assignedAt: number;
}

export const DEVICE_TYPES = ['web', 'ios', 'android', 'other'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
export const PUSH_CHANNELS = ['web-push', 'mobile-push'] as const;
export type PushChannel = (typeof PUSH_CHANNELS)[number];

/** A device linked to a profile. */
export interface LinkedDevice {
  deviceId: string;
  profileId: string;
  type: DeviceType;
  pushToken: string | null;
  pushChannel: PushChannel | null;
  name: string | null;
  model: string | null;
  os: string | null;
  attributes: Record<string, unknown>;
  /** When it was linked to its current profile. */
  linkedAt: number;
  /** The last time it was linked (again). */
  lastSeenAt: number;
}

/** Collects field problems and throws them together as one `validation_failed`. */
export class Checks {
  private readonly issues: ErrorIssue[] = [];

  text(field: string, value: unknown, max: number, required: boolean): void {
    if (value === undefined || (value === null && !required)) {
      if (required) this.issues.push({ field, message: 'is required' });
      return;
    }
    if (typeof value !== 'string') this.issues.push({ field, message: 'must be a string' });
    else if (required && value.trim().length === 0) {
      this.issues.push({ field, message: 'must not be empty' });
    } else if (value.length > max) {
      this.issues.push({ field, message: `must be at most ${max} characters` });
    }
  }

  oneOf(field: string, value: unknown, allowed: readonly string[], required: boolean): void {
    if (value === undefined || (value === null && !required)) {
      if (required) this.issues.push({ field, message: 'is required' });
      return;
    }
    if (!allowed.includes(value as string)) {
      this.issues.push({ field, message: `must be one of ${allowed.join(', ')}` });
    }
  }

  add(field: string, message: string): void {
    this.issues.push({ field, message });
  }

  throwIfAny(): void {
    if (this.issues.length > 0) {
      throw new AppError('validation_failed', undefined, this.issues);
    }
  }
}

export function treeOf(profile: AnnotationSubject): string[] {
  return [profile.id, ...(profile.mergedIds ?? [])];
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
