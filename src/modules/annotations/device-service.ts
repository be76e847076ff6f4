import type { LinkedDevicesTable } from '../../storage/schema.js';
import {
  type AnnotationSubject,
  type AnnotationWriteGuard,
  Checks,
  DEVICE_TYPES,
  type DeviceType,
  type LinkedDevice,
  PUSH_CHANNELS,
  type PushChannel,
  treeOf,
} from './annotation-types.js';
import type { DeviceStore } from './device-store.js';

export const DEVICE_ID_MAX = 200;
export const PUSH_TOKEN_MAX = 4096;
export const DEVICE_TEXT_MAX = 200;
/** Largest `attributes` object, as JSON. */
export const DEVICE_ATTRIBUTES_MAX_BYTES = 16 * 1024;

export interface DeviceLink {
  deviceId: string;
  type: DeviceType;
  /** null forgets the token. */
  pushToken?: string | null;
  /** Defaults, with a token, to `web-push` for a `web` device and `mobile-push` otherwise. */
  pushChannel?: PushChannel | null;
  name?: string | null;
  model?: string | null;
  os?: string | null;
  /** Replaces the stored attributes when given. */
  attributes?: Record<string, unknown>;
}

/**
 * Devices linked to profiles (the 001 document's linked devices and push clean-up). A device id
 * is unique per environment: linking it again updates it, and linking it to another profile
 * moves it there. Fields left out of a link keep their stored values (a re-link without a push
 * token keeps the token); `null` clears them.
 */
export class DeviceService {
  constructor(
    private readonly store: DeviceStore,
    private readonly guard: AnnotationWriteGuard,
    private readonly now: () => number,
  ) {}

  /** Links (or re-links, or moves) a device to the profile; answers it as stored. */
  async linkDevice(
    environmentId: string,
    profile: AnnotationSubject,
    link: DeviceLink,
  ): Promise<LinkedDevice> {
    validate(link);
    const pushChannel =
      link.pushChannel !== undefined
        ? link.pushChannel
        : typeof link.pushToken === 'string'
          ? link.type === 'web'
            ? 'web-push'
            : 'mobile-push'
          : undefined;
    const given: Partial<LinkedDevicesTable> = { type: link.type };
    if (link.pushToken !== undefined) given.push_token = link.pushToken;
    if (pushChannel !== undefined) given.push_channel = pushChannel;
    // A token forgotten takes its channel with it (a channel means "has a token there").
    if (link.pushToken === null && link.pushChannel === undefined) given.push_channel = null;
    if (link.name !== undefined) given.name = link.name;
    if (link.model !== undefined) given.model = link.model;
    if (link.os !== undefined) given.os = link.os;
    if (link.attributes !== undefined) given.attributes = JSON.stringify(link.attributes);
    return this.guard(environmentId, profile.id, async (trx) => {
      const at = this.now();
      const row: LinkedDevicesTable = {
        environment_id: environmentId,
        device_id: link.deviceId,
        profile_id: profile.id,
        type: link.type,
        push_token: given.push_token ?? null,
        push_channel: given.push_channel ?? null,
        name: given.name ?? null,
        model: given.model ?? null,
        os: given.os ?? null,
        attributes: given.attributes ?? '{}',
        linked_at: at,
        last_seen_at: at,
      };
      await this.store.upsert(trx, row, given);
      return (await this.store.findById(environmentId, link.deviceId, trx))!;
    });
  }

  /** The profile's devices (with those of the profiles merged into it), oldest link first. */
  devicesOfProfile(environmentId: string, profile: AnnotationSubject): Promise<LinkedDevice[]> {
    return this.store.findByProfiles(environmentId, treeOf(profile));
  }

  /** Unlinks one of the profile's devices; answers whether it was linked to the profile. */
  unlinkDevice(
    environmentId: string,
    profile: AnnotationSubject,
    deviceId: string,
  ): Promise<boolean> {
    return this.guard(environmentId, profile.id, (trx) =>
      this.store.delete(trx, environmentId, treeOf(profile), deviceId),
    );
  }

  /**
   * Forgets the push tokens of one channel on the profile's devices (the 001 document's web push
   * and mobile push clean-up); the devices stay linked. Answers how many tokens were cleared.
   */
  async cleanUpPushTokens(
    environmentId: string,
    profile: AnnotationSubject,
    channel: PushChannel,
  ): Promise<number> {
    const checks = new Checks();
    checks.oneOf('channel', channel, PUSH_CHANNELS, true);
    checks.throwIfAny();
    return this.guard(environmentId, profile.id, (trx) =>
      this.store.clearPushTokens(trx, treeOf(profile), channel),
    );
  }
}

function validate(link: DeviceLink): void {
  const checks = new Checks();
  checks.text('deviceId', link.deviceId, DEVICE_ID_MAX, true);
  checks.oneOf('type', link.type, DEVICE_TYPES, true);
  checks.text('pushToken', link.pushToken, PUSH_TOKEN_MAX, false);
  checks.oneOf('pushChannel', link.pushChannel, PUSH_CHANNELS, false);
  checks.text('name', link.name, DEVICE_TEXT_MAX, false);
  checks.text('model', link.model, DEVICE_TEXT_MAX, false);
  checks.text('os', link.os, DEVICE_TEXT_MAX, false);
  const { attributes } = link;
  if (attributes !== undefined) {
    if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
      checks.add('attributes', 'must be an object');
    } else if (Buffer.byteLength(JSON.stringify(attributes)) > DEVICE_ATTRIBUTES_MAX_BYTES) {
      checks.add('attributes', `must be at most ${DEVICE_ATTRIBUTES_MAX_BYTES} bytes as JSON`);
    }
  }
  checks.throwIfAny();
}
