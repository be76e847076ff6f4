import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createCredentialsModule } from '../../src/modules/credentials/credentials-module.js';
import type { Scope } from '../../src/modules/credentials/scopes.js';
import { TenantService } from '../../src/modules/tenants/tenant-service.js';
import { createStorage, type Storage } from '../../src/storage/storage.js';
import { databaseUrlForDir, dropDatabaseForDir } from './test-database.js';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  storage: Storage;
  config: Config;
  dir: string;
  /** An admin key of the default environment. */
  adminKey: string;
  /** Creates a key in `org/env` (created when missing). */
  createKey(scopes: Scope[], org?: string, env?: string): Promise<string>;
  /** Fetch against the server with the admin key unless `key` says otherwise (null: none). */
  request(method: string, path: string, body?: unknown, key?: string | null): Promise<TestResponse>;
  /** Closes the server and database; keeps the data so that a restart can reopen it. */
  stop(): Promise<void>;
  /** Stops and deletes the temporary directory (and, on PostgreSQL, its database). */
  destroy(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  body: any;
}

/** One master key per data directory, so that a restarted test server can read its secrets. */
const masterKeys = new Map<string, Buffer>();

/**
 * Starts a real listening Tessera on a fresh database of the test engine (a temporary SQLite
 * file, or a PostgreSQL database of its own: see test-database.ts), or reopens that of `dir`.
 */
export async function startTestServer(
  options: { dir?: string; env?: Record<string, string>; now?: () => number } = {},
): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'tessera-test-'));
  const config = loadConfig(
    {
      DATABASE_URL: await databaseUrlForDir(dir),
      LOG_LEVEL: 'silent',
      // Tests try many bad credentials from one address on purpose; a dedicated test lowers it.
      TESSERA_FAILED_AUTH_PER_MINUTE: '100000',
      // Tests read the change feed right after writing; change-feed-hold.test.ts covers the hold.
      TESSERA_CHANGE_FEED_HOLD_MS: '0',
      ...options.env,
    },
    { port: 0 },
  );
  const storage = await createStorage(config.databaseUrl);
  const tenants = new TenantService(storage.db);
  const masterKey = masterKeys.get(dir) ?? randomBytes(32);
  masterKeys.set(dir, masterKey);
  const credentials = createCredentialsModule(storage.db, masterKey, config);
  const createKey = async (scopes: Scope[], org = 'default', env = 'main') => {
    const tenant = await tenants.ensureTenant(org, env);
    return (
      await credentials.service.create(tenant.environment.id, {
        kind: 'api_key',
        name: 'test',
        scopes,
      })
    ).secret;
  };
  const adminKey = await createKey(['admin']);
  const app = await buildApp({ config, storage, masterKey, now: options.now });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const request = async (
    method: string,
    p: string,
    body?: unknown,
    key: string | null = adminKey,
  ) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${url}${p}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await storage.close();
  };
  return {
    url,
    app,
    storage,
    config,
    dir,
    adminKey,
    createKey,
    request,
    stop,
    async destroy() {
      await stop();
      await dropDatabaseForDir(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** The JSON of a fetch response, for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** A unique messageId for test events. */
export function mid(prefix = 'm'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A page event as the native API accepts it. */
export function pageEvent(fields: Record<string, unknown> & { path?: string } = {}) {
  const { path: p = '/', ...rest } = fields;
  return {
    type: 'page',
    messageId: mid('page'),
    properties: { path: p, url: `https://shop.example${p}`, referrer: '', search: '', query: {} },
    ...rest,
  };
}

/** Counts rows per table: proof that a refused request changed nothing. */
const COUNTED_TABLES = [
  'profiles',
  'profile_identifiers',
  'events',
  'event_dedupe',
  'merges',
] as const;

export async function tableCounts(
  storage: Storage,
): Promise<Record<(typeof COUNTED_TABLES)[number], number>> {
  const tables = COUNTED_TABLES;
  const counts = {} as Record<(typeof COUNTED_TABLES)[number], number>;
  for (const table of tables) {
    const row = await storage.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}
