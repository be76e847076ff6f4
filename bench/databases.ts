import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { Engine } from './options.js';

/** The maintenance database through which the benchmark creates and drops its own databases. */
const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database: a new SQLite file in `dir`, or a new PostgreSQL database. */
export interface FreshDatabase {
  engine: Engine;
  /** What Tessera's DATABASE_URL gets. */
  url: string;
  /** What `openRaw` takes: the SQLite file, or the PostgreSQL URL. */
  location: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(
  engine: Engine,
  dir: string,
  name: string,
): Promise<FreshDatabase> {
  if (engine === 'sqlite') {
    const file = join(dir, `${name}.db`);
    // The temp directory is removed as a whole at the end.
    return { engine, url: `sqlite://${file}`, location: file, drop: async () => {} };
  }
  const database = `tessera_bench_${name.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await admin(`create database "${database}"`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return {
    engine,
    url: url.toString(),
    location: url.toString(),
    drop: () => admin(`drop database if exists "${database}" with (force)`),
  };
}
