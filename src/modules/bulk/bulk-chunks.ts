/**
 * How a bulk job's stored input and output are cut into chunks (rows of `bulk_chunks`): the
 * request's input when it is stored, and an export's output as it is written.
 */

/** Stored input and output are cut into chunks of about this many characters. */
export const CHUNK_CHARS = 256 * 1024;

/** Cuts text into chunks, at a line end when one is near, never inside a surrogate pair. */
export function splitChunks(text: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1);
      if (nl >= start) end = nl + 1;
      else if (/[\uD800-\uDBFF]/.test(text[end - 1]!)) end -= 1;
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
