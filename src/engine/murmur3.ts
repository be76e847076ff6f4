/**
 * MurmurHash3 (x86, 32-bit) and the [0, 1] scaling the Ninetailed SDKs use to bucket visitors.
 *
 * Variant selection must agree bit for bit with `@ninetailed/experience.js-shared` (7.x), which
 * calls `murmurhash-js`'s `murmur3(text, 0)` and divides by 2^32 − 1. That library reads the
 * string as `charCodeAt(i) & 0xff` per UTF-16 code unit — not UTF-8 — so for non-ASCII input it
 * differs from the reference murmur3. Hence two string entry points:
 * - {@link murmur3_32}: the reference hash of the string's UTF-8 bytes (signal ids, tests);
 * - {@link ninetailedMurmur3} / {@link hashToUnit}: the SDK's byte mapping, used for bucketing.
 * Both agree on ASCII, which is what experience ids and stable ids (UUIDs) are in practice.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The divisor of the SDK's scaling (`normalize(hash, 0, 4294967295)`): the result is in [0, 1]. */
export const HASH_UPPER_BOUND = 0xffffffff;

const encoder = new TextEncoder();

function mixK1(k: number): number {
  let k1 = Math.imul(k, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  return Math.imul(k1, C2);
}

/**
 * MurmurHash3 x86_32 of `length` bytes, each read by `byteAt` (inlined by the JIT: no copy of
 * the input is made); returns an unsigned 32-bit integer.
 */
function murmur3Of(length: number, byteAt: (i: number) => number, seed: number): number {
  let h1 = seed >>> 0;
  const blocks = length - (length & 3);
  let i = 0;
  for (; i < blocks; i += 4) {
    const k = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
    h1 ^= mixK1(k);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let tail = 0;
    if (rest === 3) tail ^= byteAt(i + 2) << 16;
    if (rest >= 2) tail ^= byteAt(i + 1) << 8;
    tail ^= byteAt(i);
    h1 ^= mixK1(tail);
  }
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

/** Reference MurmurHash3 x86_32 of raw bytes; returns an unsigned 32-bit integer. */
export function murmur3_32Bytes(bytes: Uint8Array, seed = 0): number {
  return murmur3Of(bytes.length, (i) => bytes[i]!, seed);
}

/** Reference MurmurHash3 x86_32 of the UTF-8 bytes of `text` (unsigned 32-bit). */
export function murmur3_32(text: string, seed = 0): number {
  return murmur3_32Bytes(encoder.encode(text), seed);
}

/**
 * The hash exactly as the Ninetailed SDK computes it (`murmurhash-js` 1.0.0): one byte per UTF-16
 * code unit, its low 8 bits. Identical to {@link murmur3_32} for ASCII text.
 */
export function ninetailedMurmur3(text: string, seed = 0): number {
  // Every request hashes each experience three times: straight from the string, no copy.
  return murmur3Of(text.length, (i) => text.charCodeAt(i) & 0xff, seed);
}

/**
 * The SDK's `getRandom(text)`: `murmur3(text, 0) / 4294967295`, a number in [0, 1] (both ends
 * reachable). Selection compares it with `allocation > value` (traffic) and
 * `start <= value <= end` (distribution ranges, first match wins).
 */
export function hashToUnit(text: string): number {
  return ninetailedMurmur3(text, 0) / HASH_UPPER_BOUND;
}

/** The SDK's traffic hash input: `traffic-<experienceId>-<stableId>`. */
export function trafficHashInput(experienceId: string, stableId: string): string {
  return `traffic-${experienceId}-${stableId}`;
}

/** The SDK's distribution hash input: `distribution-<experienceId>-<stableId>`. */
export function distributionHashInput(experienceId: string, stableId: string): string {
  return `distribution-${experienceId}-${stableId}`;
}

/**
 * Tessera's holdout hash input, `holdout-<experienceId>-<stableId>` (the SDK has no holdout):
 * a third, independent draw, so that the holdout share neither depends on nor skews the
 * variant split of the profiles that are not held out.
 */
export function holdoutHashInput(experienceId: string, stableId: string): string {
  return `holdout-${experienceId}-${stableId}`;
}

/**
 * A 64-bit content hash as 16 hex characters (two murmur3 passes with different seeds): used
 * for ids derived from definitions, where 32 bits would collide too easily across many rules.
 */
export function hash64Hex(text: string): string {
  const bytes = encoder.encode(text);
  const a = murmur3_32Bytes(bytes, 0);
  const b = murmur3_32Bytes(bytes, 0x9747b28c);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
