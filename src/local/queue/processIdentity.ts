/**
 * Who a process is, in a way that survives PID reuse: the PID alone names a different process after a container
 * restart (PID 1 again) or a wrap-around. On Linux the kernel's boot id and the process start time (clock ticks
 * since boot, `/proc/{pid}/stat` field 22) tell a reused PID apart; elsewhere only liveness can be checked.
 */
import { readFileSync } from 'node:fs';

/** Identity of a process as recorded in a lock file. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time of the process (Linux: clock ticks since boot), when the platform tells it. */
  readonly startTime?: string;
  /** `/proc/sys/kernel/random/boot_id`, when present. */
  readonly bootId?: string;
}

/** Liveness of the process a lock names. */
export type ProcessLiveness = 'alive' | 'dead';

/** This process. */
export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  const boot = bootId();
  return {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    ...(boot === undefined ? {} : { bootId: boot }),
  };
}

/**
 * Whether the process a lock names still runs. Dead when the machine rebooted since (boot id differs), when no
 * process has that PID, or when the process with that PID started at another time (the PID was reused). A
 * field missing on either side is not evidence: liveness of the PID decides then.
 */
export function livenessOf(owner: ProcessIdentity, self: ProcessIdentity = currentProcessIdentity()): ProcessLiveness {
  if (owner.bootId !== undefined && self.bootId !== undefined && owner.bootId !== self.bootId) return 'dead';
  if (!pidExists(owner.pid)) return 'dead';
  if (owner.startTime !== undefined) {
    const now = owner.pid === self.pid ? self.startTime : processStartTime(owner.pid);
    if (now !== undefined && now !== owner.startTime) return 'dead';
  }
  return 'alive';
}

/** Start time of a process in clock ticks since boot (Linux), or undefined. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may contain spaces or ')': split after the last ')'. Field 3 (state)
    // comes first, so field 22 (starttime) is at index 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
