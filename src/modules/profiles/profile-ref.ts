import { normalizedContact } from '../../engine/contact-identifiers.js';
import { IDENTIFIER_TYPES, type IdentifierType, isIdentifierType } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';

/** How a request names a profile: Tessera's id, or one of its identifiers. */
export type ProfileRef =
  | { kind: 'id'; id: string }
  | { kind: 'identifier'; type: IdentifierType; value: string };

/**
 * Parses `ref` as written in a path: a bare id, `id:<id>`, or `<type>:<value>` for an
 * identifier type (`userId:`, `anonymousId:`, `customId:`, `email:`, `phone:`). An email or
 * phone is normalized as profiles hold them (`email:Ann@Example.com` finds ann@example.com).
 */
export function parseProfileRef(ref: string): ProfileRef {
  const colon = ref.indexOf(':');
  if (colon === -1) {
    if (ref.trim().length === 0 || ref.length > 200) throw new AppError('invalid_reference');
    return { kind: 'id', id: ref };
  }
  const type = ref.slice(0, colon);
  const value = ref.slice(colon + 1);
  if (value.trim().length === 0 || value.length > 200) {
    throw new AppError('invalid_reference', 'The identifier value is blank or too long.');
  }
  if (type === 'id') return { kind: 'id', id: value };
  if (!isIdentifierType(type)) {
    throw new AppError(
      'invalid_reference',
      `Unknown identifier type "${type}"; use id, ${IDENTIFIER_TYPES.join(', ')}.`,
    );
  }
  if (type === 'email' || type === 'phone') {
    const normalized = normalizedContact(type, value);
    if (normalized === undefined)
      throw new AppError('invalid_reference', `That is not a valid ${type}.`);
    return { kind: 'identifier', type, value: normalized };
  }
  return { kind: 'identifier', type, value };
}

/** A stable string for a reference, used as the in-process write-slot key. */
export function refKey(ref: ProfileRef): string {
  return ref.kind === 'id' ? `id:${ref.id}` : `${ref.type}:${ref.value}`;
}
