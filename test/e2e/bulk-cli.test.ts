import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefinitionService } from '../../src/modules/personalization/definition-service.js';
import { TenantService } from '../../src/modules/tenants/tenant-service.js';
import { createStorage } from '../../src/storage/storage.js';
import { testEngine } from '../helpers/test-database.js';
import { tableCounts } from '../helpers/test-server.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli.ts'];
const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bulk-cli-'));
const databaseUrl = `sqlite://${path.join(dir, 'bulk.db')}`;
const DB = ['--database-url', databaseUrl];

const LINES = 2000;
const BAD = new Set([7, 500, 1999]);
let valid = 0;

/** 2,000 lines over 300 people: anonymous page views, identifies and purchases, 3 bad lines. */
function eventLines(): string[] {
  valid = 0;
  const lines: string[] = [];
  for (let n = 1; n <= LINES; n++) {
    const person = n % 300;
    if (n === 7) lines.push('{"type":"track", broken');
    else if (n === 500) lines.push(JSON.stringify({ type: 'track', event: 'No one' }));
    else if (n === 1999) lines.push(JSON.stringify({ type: 'teleport', userId: 'u1' }));
    else if (n % 10 === 0)
      lines.push(
        JSON.stringify({
          type: 'identify',
          userId: `user-${person}`,
          traits: { plan: person % 3 === 0 ? 'pro' : 'free', email: `p${person}@example.com` },
          timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        }),
      );
    else
      lines.push(
        JSON.stringify({
          type: 'track',
          event: n % 3 === 0 ? 'Order Completed' : 'Product Viewed',
          userId: `user-${person}`,
          properties: { n },
          timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
        }),
      );
    if (!BAD.has(n)) valid += 1;
  }
  return lines;
}

async function cli(args: string[]) {
  return run('node', [...CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

function count(summary: string, label: string): number {
  const match = summary.match(new RegExp(`${label}\\s+([\\d,]+)`));
  if (!match) throw new Error(`no ${label} in:\n${summary}`);
  return Number(match[1]!.replace(/,/g, ''));
}

async function countEvents(): Promise<number> {
  const storage = await createStorage(databaseUrl);
  try {
    return (await tableCounts(storage)).events;
  } finally {
    await storage.close();
  }
}

beforeAll(async () => {
  const storage = await createStorage(databaseUrl);
  try {
    const tenant = await new TenantService(storage.db).ensureTenant('default', 'main');
    // A published audience for `export --audience`.
    const definitions = new DefinitionService(storage.db, () => undefined);
    await definitions.saveAudience(
      tenant.environment.id,
      { name: 'Pro', rule: { trait: 'plan', op: 'equals', value: 'pro' } },
      'pro',
    );
    await definitions.publishAudience(tenant.environment.id, 'pro');
    await definitions.saveAudience(
      tenant.environment.id,
      { name: 'Draft', rule: { trait: 'plan', op: 'equals', value: 'free' } },
      'draft-only',
    );
    await new TenantService(storage.db).ensureTenant('default', 'other');
  } finally {
    await storage.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(testEngine !== 'sqlite')('tessera import (NDJSON)', { timeout: 60_000 }, () => {
  const file = path.join(dir, 'events.ndjson');
  const head = path.join(dir, 'head', 'events.ndjson');

  it('imports a file in batches with progress and a summary, listing the bad lines', async () => {
    const lines = eventLines();
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { stdout, stderr } = await cli(['import', file, ...DB, '--batch-size', '200']);
    // Progress on stderr (a plain line per update when not a terminal), summary on stdout.
    expect(stderr).toMatch(
      /line 2,000 · [\d,]+ applied · 0 duplicates · 3 rejected · [\d,]+ lines\/s/,
    );
    expect(stdout).toMatch(/^Imported .*events\.ndjson \(ndjson\): 2,000 lines in /);
    expect(count(stdout, 'applied')).toBe(valid);
    expect(count(stdout, 'duplicates')).toBe(0);
    expect(count(stdout, 'rejected')).toBe(3);
    expect(stdout).toMatch(/line 7: invalid JSON/);
    expect(stdout).toMatch(/line 500: validation_failed: anonymousId: The event names no profile/);
    expect(stdout).toMatch(/line 1999: validation_failed: type: /);
    expect(await countEvents()).toBe(valid);
  });

  it('applies nothing on a re-run of the same file', async () => {
    const { stdout } = await cli(['import', file, ...DB]);
    expect(count(stdout, 'applied')).toBe(0);
    expect(count(stdout, 'duplicates')).toBe(valid);
    expect(await countEvents()).toBe(valid);
  });

  it('resumes an interrupted import without duplicates (lines carry no messageId)', async () => {
    // Another environment, so that the ids derived from line numbers start fresh.
    const env = ['--env', 'other', ...DB];
    const lines = eventLines();
    // What an interrupted run leaves behind: the first lines applied, the rest not.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(head), { recursive: true });
    writeFileSync(head, `${lines.slice(0, 1200).join('\n')}\n`);
    const first = await cli(['import', head, ...env]);
    const appliedFirst = count(first.stdout, 'applied');

    // A real interruption too: kill the process once it has committed a batch.
    const child = spawn('node', [
      ...CLI,
      'import',
      file,
      ...env,
      '--batch-size',
      '50',
      '--concurrency',
      '1',
    ]);
    let err = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk) => {
        err += chunk;
        if (/line [\d,]+ ·/.test(err)) resolve();
      });
      child.on('exit', () => resolve());
    });
    child.kill('SIGKILL');
    await exited;

    const rest = await cli(['import', file, ...env]);
    expect(appliedFirst).toBeGreaterThan(0);
    expect(count(rest.stdout, 'duplicates')).toBeGreaterThanOrEqual(appliedFirst);
    expect(count(rest.stdout, 'rejected')).toBe(3);
    expect(await countEvents()).toBe(valid * 2);
  });
});

describe.skipIf(testEngine !== 'sqlite')('tessera import (CSV)', { timeout: 60_000 }, () => {
  it('maps columns to an identify per row, reports bad rows, and is idempotent', async () => {
    const file = path.join(dir, 'people.csv');
    writeFileSync(
      file,
      [
        'email,user_id,first_name,plan',
        'p1@example.com,user-1,Ann,pro',
        '"p2@example.com",user-2,"Bob ""B"", Jr",free',
        'p3@example.com,,Nobody,free',
        'short,row',
        'p1001@example.com,user-1001,New,pro',
      ].join('\n'),
    );
    const map = 'email=traits.email,user_id=userId,first_name=traits.firstName,plan=traits.plan';
    const { stdout } = await cli(['import', file, ...DB, '--map', map]);
    expect(stdout).toMatch(/\(csv\)/);
    expect(count(stdout, 'applied')).toBe(3);
    expect(count(stdout, 'rejected')).toBe(2);
    expect(stdout).toMatch(/line 4: validation_failed: anonymousId: The event names no profile/);
    expect(stdout).toMatch(/line 5: malformed CSV/);
    const again = await cli(['import', file, ...DB, '--map', map]);
    expect(count(again.stdout, 'applied')).toBe(0);
    expect(count(again.stdout, 'duplicates')).toBe(3);

    const exported = await cli(['export', ...DB, '--rule', '{"trait":"firstName","op":"exists"}']);
    const profiles = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byUser = Object.fromEntries(
      profiles.map((p) => [
        p.identifiers.find((i: { type: string }) => i.type === 'userId').value,
        p,
      ]),
    );
    expect(Object.keys(byUser).sort()).toEqual(['user-1', 'user-1001', 'user-2']);
    expect(byUser['user-2'].traits).toMatchObject({
      email: 'p2@example.com',
      firstName: 'Bob "B", Jr',
    });
    expect(byUser['user-1001'].traits.plan).toBe('pro');
  });

  it('refuses a map naming a column the header lacks, before importing anything', async () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'email,id\na@example.com,1\n');
    const failed = await cli(['import', file, ...DB, '--map', 'mail=traits.email']).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/not in the CSV header: mail/);
  });
});

describe.skipIf(testEngine !== 'sqlite')('tessera export', { timeout: 60_000 }, () => {
  it('exports every profile as native NDJSON with a summary on stderr', async () => {
    const { stdout, stderr } = await cli(['export', ...DB]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(301);
    expect(lines[0]).toMatchObject({ id: expect.any(String), traits: expect.any(Object) });
    expect(lines[0].metadata.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(stderr).toMatch(/Exported 301 profiles and 0 events \(301 profiles scanned\) to stdout/);
  });

  it('filters by a published audience or an ad-hoc rule, and refuses a draft audience', async () => {
    const audience = await cli(['export', ...DB, '--audience', 'pro']);
    const members = audience.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Identified with plan pro in the events: user-0, -30, …, -270 (10); from the CSV: user-1
    // and user-1001.
    expect(members).toHaveLength(12);
    expect(members.every((p) => p.traits.plan === 'pro')).toBe(true);
    const rule = await cli([
      'export',
      ...DB,
      '--rule',
      JSON.stringify({ trait: 'plan', op: 'equals', value: 'pro' }),
    ]);
    expect(rule.stdout).toBe(audience.stdout);
    const draft = await cli(['export', ...DB, '--audience', 'draft-only']).catch((e) => e);
    expect(draft.code).toBe(1);
    expect(draft.stderr).toMatch(/not published/);
    const badRule = await cli(['export', ...DB, '--rule', '{"trait":"plan","op":"nope"}']).catch(
      (e) => e,
    );
    expect(badRule.code).toBe(1);
  });

  it('writes events, or profiles followed by their events, to a file', async () => {
    const out = path.join(dir, 'events-out.ndjson');
    const rule = JSON.stringify({ trait: 'email', op: 'equals', value: 'p30@example.com' });
    const { stderr } = await cli([
      'export',
      ...DB,
      '--what',
      'events',
      '--rule',
      rule,
      '--out',
      out,
    ]);
    const events = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.profileId)).size).toBe(1);
    expect(events.map((e) => e.timestamp)).toEqual([...events.map((e) => e.timestamp)].sort());
    expect(stderr).toMatch(new RegExp(`Exported 1 profiles and ${events.length} events`));

    const both = path.join(dir, 'both.ndjson');
    await cli(['export', ...DB, '--what', 'both', '--rule', rule, '--out', both]);
    const lines = readFileSync(both, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(Object.keys(lines[0])).toEqual(['profile']);
    expect(lines.slice(1).map((l) => l.event.id)).toEqual(events.map((e) => e.id));
  });
});
