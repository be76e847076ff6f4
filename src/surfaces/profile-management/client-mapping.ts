import { normalizedContact } from '../../engine/contact-identifiers.js';
import type { JsonObject, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { iso } from '../native/native-presenters.js';
import { STANDARD_FIELDS } from './client-schemas.js';

/** The client fields of a request body, as the schema lets them through. */
export interface ClientInput {
  clientId?: string;
  customId?: string;
  uuid?: string;
  attributes?: Record<string, unknown>;
  agreements?: Record<string, boolean>;
  tags?: string[];
  [field: string]: unknown;
}

/** An agreement is kept as its own trait, `<channel>Agreement`, so each channel changes alone. */
const AGREEMENT_SUFFIX = 'Agreement';
const STANDARD = new Set<string>(STANDARD_FIELDS);
/** Keys that are the profile's identifiers, never attributes. */
const RESERVED = new Set(['clientId', 'customId', 'uuid', 'tags', 'attributes', 'agreements']);

/**
 * The traits a client body writes: the standard fields under their own names, the custom
 * attributes beside them, and each agreement as `<channel>Agreement`. An attribute may not
 * reuse a standard or reserved name (which one would win would be a guess).
 */
export function clientTraits(body: ClientInput): JsonObject {
  const traits: JsonObject = {};
  for (const field of STANDARD_FIELDS) {
    const value = body[field];
    // An email or phone is an identifier too: one that is not one is refused, not kept as text.
    if (typeof value === 'string' && (field === 'email' || field === 'phone'))
      normalized(field, value);
    if (typeof value === 'string') traits[field] = value;
  }
  for (const [key, value] of Object.entries(body.attributes ?? {})) {
    if (STANDARD.has(key) || RESERVED.has(key) || key.endsWith(AGREEMENT_SUFFIX)) {
      throw new AppError('validation_failed', 'An attribute may not reuse a profile field name.', [
        { field: `attributes.${key}`, message: 'is a profile field; set it at the top level' },
      ]);
    }
    traits[key] = value as JsonObject[string];
  }
  for (const [channel, agreed] of Object.entries(body.agreements ?? {})) {
    traits[`${channel}${AGREEMENT_SUFFIX}`] = agreed;
  }
  return traits;
}

/**
 * The identify event a client body becomes. `uuid` is the event's anonymousId, so the profile
 * claims it through identity resolution (and joins the profile that already holds it, as a
 * Synerise uuid of a known device does, unless the two have different customIds: then the uuid
 * stays with its owner).
 */
export function clientIdentify(body: ClientInput, messageId = newId()): JsonObject {
  return {
    type: 'identify',
    messageId,
    ...(body.uuid ? { anonymousId: body.uuid } : {}),
    traits: clientTraits(body),
  };
}

const identifierOf = (state: ProfileState, type: string) =>
  state.identifiers.find((i) => i.type === type)?.value ?? null;
const text = (v: unknown) => (typeof v === 'string' ? v : null);

/** A profile as the 001 API shows it (`clientId` is Tessera's profile id). */
export function presentClient(state: ProfileState, tags: string[] = []) {
  const attributes: Record<string, unknown> = {};
  const agreements: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(state.traits)) {
    if (STANDARD.has(key)) continue;
    if (
      key.endsWith(AGREEMENT_SUFFIX) &&
      key.length > AGREEMENT_SUFFIX.length &&
      typeof value === 'boolean'
    ) {
      agreements[key.slice(0, -AGREEMENT_SUFFIX.length)] = value;
    } else attributes[key] = value;
  }
  const standard = Object.fromEntries(
    STANDARD_FIELDS.map((f) => [
      f,
      text(state.traits[f]) ?? (f === 'email' || f === 'phone' ? identifierOf(state, f) : null),
    ]),
  );
  return {
    clientId: state.id,
    uuid: identifierOf(state, 'anonymousId'),
    customId: identifierOf(state, 'customId'),
    ...standard,
    attributes,
    agreements,
    tags,
    createdAt: iso(state.metadata.createdAt),
    updatedAt: iso(state.metadata.updatedAt),
    lastActivityDate: iso(state.metadata.lastActivityTime),
  };
}

/** Identifier-type names a Synerise user may write, onto Tessera's identifier types. */
const IDENTIFIER_TYPES: Record<
  string,
  'id' | 'email' | 'customId' | 'userId' | 'anonymousId' | 'phone'
> = {
  id: 'id',
  clientid: 'id',
  email: 'email',
  customid: 'customId',
  'custom-id': 'customId',
  userid: 'userId',
  'user-id': 'userId',
  uuid: 'anonymousId',
  anonymousid: 'anonymousId',
  'anonymous-id': 'anonymousId',
  phone: 'phone',
};

/** Emails compare lower-cased, phones as `+digits`: the form ingestion stores them in. */
function normalized(type: 'email' | 'phone', value: string): string {
  const found = normalizedContact(type, value);
  if (found === undefined) {
    throw new AppError('validation_failed', `That is not a valid ${type}.`, [
      { field: type, message: `is not a valid ${type}` },
    ]);
  }
  return found;
}

/** A reference from a path's identifier type (`by-email`, `customId`, …) and value. */
export function refFor(identifierType: string, value: string): ProfileRef {
  const key = identifierType.toLowerCase().replace(/^by-/, '');
  // Own keys only: `constructor` or `__proto__` would find the object's inherited members.
  const type = Object.hasOwn(IDENTIFIER_TYPES, key) ? IDENTIFIER_TYPES[key] : undefined;
  if (!type) {
    throw new AppError('validation_failed', `Unknown identifier type "${identifierType}".`, [
      {
        field: 'identifierType',
        message:
          'must be one of id, email, customId, uuid, userId, anonymousId, phone (with or without by-)',
      },
    ]);
  }
  if (value.trim() === '') {
    throw new AppError('validation_failed', 'The identifier value is blank.', [
      { field: 'identifierValue', message: 'must not be blank' },
    ]);
  }
  if (type === 'id') return { kind: 'id', id: value };
  if (type === 'email' || type === 'phone')
    return { kind: 'identifier', type, value: normalized(type, value) };
  return { kind: 'identifier', type, value };
}

/** The profile an event's or transaction's `client` names: clientId, customId, uuid, email. */
export function refOfClient(client: {
  clientId?: string;
  customId?: string;
  uuid?: string;
  email?: string;
}): ProfileRef {
  if (client.clientId) return { kind: 'id', id: client.clientId };
  if (client.customId) return refFor('customId', client.customId);
  if (client.uuid) return refFor('uuid', client.uuid);
  if (client.email) return refFor('email', client.email);
  throw new AppError('validation_failed', 'The client names no profile.', [
    { field: 'client', message: 'must have clientId, customId, uuid or email' },
  ]);
}
