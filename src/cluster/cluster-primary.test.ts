import { describe, expect, it } from 'vitest';
import { isListeningMessage, restartDelayMs } from './cluster-primary.js';

describe('restartDelayMs', () => {
  it('restarts at once after a stable run and backs off, capped, while workers keep dying', () => {
    expect([0, 1, 2, 3, 4].map(restartDelayMs)).toEqual([0, 500, 1000, 2000, 4000]);
    expect(restartDelayMs(20)).toBe(30_000);
  });
});

describe('isListeningMessage', () => {
  it('accepts only the worker-listening message', () => {
    expect(isListeningMessage({ type: 'tessera:listening', url: 'http://127.0.0.1:1' })).toBe(true);
    expect(isListeningMessage({ type: 'other', url: 'x' })).toBe(false);
    expect(isListeningMessage(null)).toBe(false);
  });
});
