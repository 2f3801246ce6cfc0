/**
 * SQL Data Sync retires on 30 September 2027. From 31 March 2027 (six months before) every sync-agent run and
 * `sync-agents status` carry a warning with the date; after the retirement date nothing is rotated any more
 * (there is no service left to regenerate a key with, and a half-done rotation would leave an agent keyless).
 */

/** The day SQL Data Sync is retired (UTC). */
export const SYNC_RETIREMENT_DATE = new Date('2027-09-30T00:00:00.000Z');
/** From this instant on, runs carry a warning. */
export const SYNC_RETIREMENT_WARNING_FROM = new Date('2027-03-31T00:00:00.000Z');
/** From this instant on (the day after the retirement date), rotation is refused. */
export const SYNC_RETIREMENT_REFUSE_FROM = new Date('2027-10-01T00:00:00.000Z');

export type SyncRetirement =
  | { readonly phase: 'active' }
  | { readonly phase: 'warning'; readonly message: string }
  | { readonly phase: 'retired'; readonly message: string };

/** What a run says once SQL Data Sync is retired. */
const RETIRED_MESSAGE =
  'SQL Data Sync was retired on 30 September 2027: sync-agent keys are no longer rotated. ' +
  'Remove syncAgents from ROTATION_CONFIG once the agents are gone.';
/** What a run says in the six months before. */
const WARNING_MESSAGE =
  'SQL Data Sync retires on 30 September 2027: after that date sync-agent keys are no longer rotated. ' +
  'Plan the move to another synchronisation solution.';

/** Where `now` stands relative to the retirement of SQL Data Sync. Pure. */
export function syncRetirement(now: Date): SyncRetirement {
  const t = now.getTime();
  if (t >= SYNC_RETIREMENT_REFUSE_FROM.getTime()) return { phase: 'retired', message: RETIRED_MESSAGE };
  if (t >= SYNC_RETIREMENT_WARNING_FROM.getTime()) return { phase: 'warning', message: WARNING_MESSAGE };
  return { phase: 'active' };
}
