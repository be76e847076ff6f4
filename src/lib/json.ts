/** Parses JSON stored by Tessera itself (never client input: that goes through the body parser). */
export function parseStored<T>(text: string): T {
  return JSON.parse(text) as T;
}
