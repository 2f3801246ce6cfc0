/**
 * Where the notification pieces used to live together; kept for importers not yet moved (src/app/reconcileTarget.ts).
 * New code imports from the files named after each export: the port `Notifier` (ports.ts), the message builders
 * (rotationNotification.ts), notifySafely.ts, noNotifier.ts, notifyingFailureSink.ts, notifySyncAgentRun.ts.
 * @deprecated Delete once nothing imports it.
 */
export type { Notifier } from './ports.js';
export { notifySafely } from './notifySafely.js';
export { criticalDriftNotification } from './rotationNotification.js';
