import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/test-database.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli.ts'];
const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cli-'));
const databaseUrl = `sqlite://${path.join(dir, 'cli.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitFor(
  child: ChildProcess,
  pattern: RegExp,
  output: { text: string },
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}:\n${output.text}`)),
      20_000,
    );
    const check = () => {
      const match = output.text.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    check();
  });
}

// The CLI runs on a SQLite file of its own, whatever the test engine: once is enough.
describe.skipIf(testEngine !== 'sqlite')('tessera CLI', { timeout: 60_000 }, () => {
  it('prints help for every command', async () => {
    const { stdout } = await run('node', [...CLI, '--help']);
    expect(stdout).toMatch(/serve/);
    expect(stdout).toMatch(/migrate/);
    expect(stdout).toMatch(/keys/);
    expect((await run('node', [...CLI, 'keys', 'create', '--help'])).stdout).toMatch(/--scopes/);
  });

  it('refuses to start in production without a real master key', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: `sqlite://${path.join(dir, 'prod.db')}`,
    };
    delete (env as Record<string, string | undefined>).TESSERA_MASTER_KEY;
    const failed = await run('node', [...CLI, 'serve', '--port', '0'], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('TESSERA_MASTER_KEY is required in production');
    const short = await run('node', [...CLI, 'serve', '--port', '0'], {
      env: { ...env, TESSERA_MASTER_KEY: 'too-short' },
    }).catch((e) => e);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('TESSERA_MASTER_KEY');
    expect(short.stderr).not.toContain('too-short');
  });

  it('refuses an invalid configuration with a clear message', async () => {
    const failed = await run('node', [...CLI, 'serve'], {
      env: { ...process.env, PORT: 'eighty' },
    }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('PORT');
  });

  it('migrates, creates keys, serves with a first admin key printed once, logs no personal data, and shuts down gracefully', async () => {
    const migrated = await run('node', [...CLI, 'migrate', '--database-url', databaseUrl]);
    expect(migrated.stdout).toContain('0001-initial');

    const output = { text: '' };
    // One process (no cluster primary): test/e2e/multi-process.test.ts covers `--workers N`.
    const child = spawn('node', [...CLI, 'serve', '--port', '0', '--database-url', databaseUrl], {
      env: { ...process.env, LOG_LEVEL: 'info', TESSERA_WORKERS: '1' },
    });
    child.stdout.on('data', (chunk) => {
      output.text += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output.text += chunk;
    });
    const [, key] = await waitFor(child, /Admin API key[^\n]*\n\s*\n\s*(tsk_\S+)/, output);
    const [, url] = await waitFor(child, /Tessera listening on (http:\/\/\S+) /, output);

    const email = 'private.person@example.com';
    const res = await fetch(`${url}/v1/profiles/email:${email}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [{ type: 'identify', traits: { email, name: 'Private Person' } }],
      }),
    });
    expect(res.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.text).toContain('"route":"/v1/profiles/:ref/events"');
    expect(output.text).not.toContain(email);
    expect(output.text).not.toContain('Private Person');
    expect(output.text.match(/tsk_/g)).toHaveLength(1);

    // A second start finds the environment and prints no new admin key.
    const again = spawn('node', [...CLI, 'serve', '--port', '0', '--database-url', databaseUrl], {
      env: { ...process.env, LOG_LEVEL: 'warn', TESSERA_WORKERS: '1' },
    });
    const second = { text: '' };
    again.stdout.on('data', (chunk) => {
      second.text += chunk;
    });
    await waitFor(again, /Tessera listening/, second);
    const stopped = new Promise((resolve) => again.on('exit', resolve));
    again.kill('SIGINT');
    await stopped;
    expect(second.text).not.toContain('tsk_');

    const created = await run('node', [
      ...CLI,
      'keys',
      'create',
      '--scopes',
      'read',
      '--database-url',
      databaseUrl,
    ]);
    expect(created.stdout.trim()).toMatch(/^tsk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const bad = await run('node', [
      ...CLI,
      'keys',
      'create',
      '--scopes',
      'root',
      '--database-url',
      databaseUrl,
    ]).catch((e) => e);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown scope');
  });
});
