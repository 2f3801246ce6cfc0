/**
 * Timer trigger (NCRONTAB from the SYNC_AGENT_ROTATION_SCHEDULE app setting, weekly by default; also run on
 * demand through the host's admin endpoint): rotates every SQL Data Sync agent key into its Key Vault secret.
 * One summary line per run; each failure is an error line naming the agent and the code. Expected failures
 * never throw: they are outcomes, retried through the backoff queue or dead-lettered.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { rotateSyncAgentKeys } from '../src/app/rotateSyncAgentKeys.js';
import { recordSyncAgentOutcomes } from '../src/app/metrics.js';
import { notifySyncAgentRun } from '../src/app/notifier.js';
import { observers, syncAgentDeps } from '../src/compositionRoot.js';
import { summarize } from '../src/domain/outcome.js';
import { contextLogger } from '../src/host/contextLogger.js';
import { register, SYNC_AGENT_TIMER_SCHEDULE, type FunctionDefinition } from '../src/host/functionDefinition.js';
import { processServices, type ServicesProvider } from '../src/host/processServices.js';

export function makeSyncAgentKeyRotation(provider: ServicesProvider): FunctionDefinition {
  return {
    name: 'syncAgentKeyRotation',
    trigger: { type: 'timer', schedule: SYNC_AGENT_TIMER_SCHEDULE, runOnStartup: false },
    handler: (timer: Timer, context: InvocationContext) => syncAgentKeyRotationHandler(provider, timer, context),
  };
}

async function syncAgentKeyRotationHandler(provider: ServicesProvider, timer: Timer, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  const services = provider();
  const rotationId = context.invocationId;
  const { outcomes } = await rotateSyncAgentKeys(syncAgentDeps(services, logger), {
    rotationId,
    now: services.clock.now(),
  });
  const { notifier, metrics } = observers(services, logger);
  recordSyncAgentOutcomes(metrics, outcomes, services.clock.now());
  await notifySyncAgentRun(notifier, { correlationId: rotationId, trigger: 'timer', outcomes }, { clock: services.clock, logger });
  for (const o of outcomes) {
    if (o.kind === 'failed') {
      logger.error(`Sync agent ${o.target} FAILED (${o.code}): ${o.reason}`, { agent: o.target, code: o.code, rotationId });
    }
  }
  logger.info(`Sync agent key rotation done: ${outcomes.length} agent(s)`, {
    rotationId,
    // Runs through the admin endpoint may come without timer information.
    pastDue: (timer as Partial<Timer> | undefined)?.isPastDue === true,
    ...summarize(outcomes),
  });
}

export const syncAgentKeyRotation = makeSyncAgentKeyRotation(processServices);

register(syncAgentKeyRotation);
