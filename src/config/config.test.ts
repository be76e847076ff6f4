import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig, trustProxyOption } from './config.js';

describe('loadConfig', () => {
  it('starts from the defaults, then environment variables, then flags', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
    const config = loadConfig({ PORT: '9000', LOG_LEVEL: 'warn' }, { port: '9100' });
    expect(config.port).toBe(9100);
    expect(config.logLevel).toBe('warn');
    expect(loadConfig({ TESSERA_HEAP_GROWTH_PERCENT: '20' }).heapGrowthPercent).toBe(20);
    expect(loadConfig({ TESSERA_JOB_CONCURRENCY: '1' }).jobConcurrency).toBe(1);
    expect(() => loadConfig({ TESSERA_JOB_CONCURRENCY: '0' })).toThrow(/TESSERA_JOB_CONCURRENCY/);
    expect(loadConfig({ TESSERA_WEBHOOK_CONCURRENCY: '16' }).webhookConcurrency).toBe(16);
    expect(loadConfig({ TESSERA_BODY_BYTES_IN_FLIGHT: '0' }).bodyBytesInFlight).toBe(0);
    expect(() => loadConfig({ TESSERA_WEBHOOK_CONCURRENCY: '0' })).toThrow(
      /TESSERA_WEBHOOK_CONCURRENCY/,
    );
    expect(() => loadConfig({ TESSERA_HEAP_GROWTH_PERCENT: '-1' })).toThrow(
      /TESSERA_HEAP_GROWTH_PERCENT/,
    );
  });

  it('names every bad setting and the variable it came from, hiding secrets', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        TESSERA_MASTER_KEY: 'short',
        DATABASE_URL: '',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('PORT');
      expect(message).toContain('LOG_LEVEL');
      expect(message).toContain('TESSERA_MASTER_KEY');
      expect(message).not.toContain('short');
    }
  });
});

describe('trustProxyOption', () => {
  it('maps the setting onto what Fastify takes', () => {
    expect(trustProxyOption('false')).toBe(false);
    expect(trustProxyOption('true')).toBe(true);
    expect(trustProxyOption('10.0.0.0/8,127.0.0.1')).toBe('10.0.0.0/8,127.0.0.1');
    const hops = trustProxyOption('1') as (address: string, hop: number) => boolean;
    expect([hops('a', 0), hops('b', 1)]).toEqual([true, false]);
  });
});
