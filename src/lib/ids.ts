import { randomFillSync } from 'node:crypto';
import { Type } from 'typebox';
import { V7Generator } from 'uuidv7';

/**
 * The ids' random bits, drawn from the OS 1,024 words at a time (the library's default draws
 * 8, which made the draw a visible share of the ingest path). Ids are not secrets.
 */
class BlockRandom {
  private readonly words = new Uint32Array(1024);
  private cursor = this.words.length;

  nextUint32(): number {
    if (this.cursor === this.words.length) {
      randomFillSync(this.words);
      this.cursor = 0;
    }
    return this.words[this.cursor++]!;
  }
}

const generator = new V7Generator(new BlockRandom());

/**
 * Time-ordered ids (UUIDv7) for every row Tessera creates: inserts land at the end of each
 * index instead of at random pages, which is several times faster than random UUIDs.
 */
export function newId(): string {
  return generator.generate().toString();
}

/**
 * An id {@link newId} made, as a path or query parameter (a cursor, say): lower-case, as stored.
 * Ids are compared as text, so an upper-case one would page from the wrong place; it is refused.
 */
export const IdParam = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  maxLength: 36,
});
