import { notifySafely } from './notifySafely.js';
import type { Clock, Logger, Notifier } from './ports.js';
import { syncAgentNotification, type SyncAgentRun } from './rotationNotification.js';

/**
 * Notifies the end of a sync-agent rotation run: each agent's outcome and (when known) secret name. The
 * outcomes' reasons are left out on purpose: only identifiers leave the process.
 */
export async function notifySyncAgentRun(
  notifier: Notifier,
  run: SyncAgentRun,
  deps: { readonly clock: Clock; readonly logger: Logger },
): Promise<void> {
  if (run.outcomes.length === 0) return;
  await notifySafely(notifier, syncAgentNotification(run, deps.clock.now()), deps.logger);
}
