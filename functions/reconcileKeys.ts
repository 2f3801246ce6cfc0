/**
 * Timer trigger `reconcileKeys` (NCRONTAB from the RECONCILE_SCHEDULE app setting, hourly by default; also run
 * on demand through the host's admin endpoint): for every configured key (Key Vault and Managed HSM) it finds
 * the drifting targets and enqueues a reconcile item for each. It rotates Managed HSM keys (which publish no
 * events), heals events Event Grid gave up on, and picks up targets newly added to ROTATION_CONFIG. It also follows
 * the sync-agent key handoffs (awaiting pickup, back online, overdue: one alarm per rotation).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { reconcileKeys as sweep } from '../src/app/reconcileKeys.js';
import { checkSyncAgentHandoffs } from '../src/app/checkSyncAgentHandoffs.js';
import { observers, reconcileKeysDeps, syncAgentDeps } from '../src/compositionRoot.js';
import { contextLogger } from '../src/functionsHost/contextLogger.js';
import { RECONCILE_TIMER_SCHEDULE, register, type FunctionDefinition } from '../src/functionsHost/functionDefinition.js';
import { processServices, type ServicesProvider } from '../src/functionsHost/processServices.js';

export function makeReconcileKeys(services: ServicesProvider): FunctionDefinition {
  return {
    name: 'reconcileKeys',
    trigger: { type: 'timer', schedule: RECONCILE_TIMER_SCHEDULE, runOnStartup: false },
    handler: async (timer: Timer, context: InvocationContext): Promise<void> => {
      const logger = contextLogger(context);
      const s = services();
      const runId = `timer-${context.invocationId}`;
      const { enqueued, report } = await sweep(reconcileKeysDeps(s, logger), { runId });
      // Sync-agent handoffs are followed here too: the sync-agent timer runs weekly, the handoff window is minutes.
      const handoffs = s.config.syncAgents.agents.length > 0 || s.config.syncAgents.discovery !== undefined
        ? await checkSyncAgentHandoffs({ ...syncAgentDeps(s, logger), ...observers(s, logger) }, { correlationId: runId })
        : undefined;
      logger.info(`Reconcile done: ${enqueued} item(s) enqueued`, {
        ...(handoffs === undefined ? {} : { handoffAlarms: handoffs.alarms.length, handoffsChecked: handoffs.statuses.length }),
        // Runs through the admin endpoint may come without timer information.
        pastDue: (timer as Partial<Timer> | undefined)?.isPastDue === true,
        enqueued,
        ...report.summary,
      });
    },
  };
}

export const reconcileKeys = makeReconcileKeys(processServices);

register(reconcileKeys);
