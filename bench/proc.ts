import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What a side of a comparison reads of the server processes it loads. */
export interface ProcessStats {
  /** Peak resident memory (KiB) so far. */
  peakRssKiB(): number;
  /** CPU time (ms, user + system, every thread) used so far. */
  cpuMs(): number;
}

/** The stats of a process and every process under it (the workers of `serve --workers N`). */
export function processStats(pid: number): ProcessStats {
  return { peakRssKiB: () => peakRssKiB(pid), cpuMs: () => cpuMs(pid) };
}

/**
 * Peak resident memory (VmHWM, KiB) of a process and of every process under it (the workers of
 * `serve --workers N`), summed. VmHWM is the kernel's high-water mark, so short peaks between
 * two samples are not missed; a process that already exited is not counted.
 */
export function peakRssKiB(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/**
 * CPU time (ms) a process and every process under it have used so far: `utime + stime` of
 * `/proc/<pid>/stat`, which sums every thread (the SQLite checkpointer's included). A process
 * that already exited is not counted.
 */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      // The command name (field 2) may hold spaces; the fields after its `)` are fixed.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
