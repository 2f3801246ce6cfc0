/**
 * Timer trigger (NCRONTAB from the SYNC_AGENT_ROTATION_SCHEDULE app setting, weekly by default; also run on
 * demand through the host's admin endpoint): first checks the key handoff of the previous rotations (an agent
 * not back within the window raises one alarm per rotation: an error line, a SYNC_AGENT_OUTCOME line with
 * `handoff: "overdue"`, a notification), then rotates every SQL Data Sync agent key into its Key Vault secret.
 * One summary line per run, carrying SQL Data Sync's retirement warning from 31 March 2027; after the retirement
 * it rotates nothing and says why. Each failure is an error line naming the agent and the code. Expected
 * failures never throw: they are outcomes, retried through the backoff queue or dead-lettered.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { checkSyncAgentHandoffs } from '../src/app/checkSyncAgentHandoffs.js';
import { rotateSyncAgentKeys } from '../src/app/rotateSyncAgentKeys.js';
import { recordSyncAgentOutcomes } from '../src/app/metrics.js';
import { notifySyncAgentRun } from '../src/app/notifySyncAgentRun.js';
import { observers, syncAgentDeps } from '../src/compositionRoot.js';
import { summarize } from '../src/domain/outcome.js';
import { contextLogger } from '../src/functionsHost/contextLogger.js';
import { register, SYNC_AGENT_TIMER_SCHEDULE, type FunctionDefinition } from '../src/functionsHost/functionDefinition.js';
import { processServices, type ServicesProvider } from '../src/functionsHost/processServices.js';

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
  const deps = syncAgentDeps(services, logger);
  const { notifier, metrics } = observers(services, logger);
  // Handoffs first: a rotation below replaces the secret version an overdue alarm is about.
  const handoffs = await checkSyncAgentHandoffs({ ...deps, notifier, metrics }, { correlationId: rotationId });
  const { outcomes, retirement } = await rotateSyncAgentKeys(deps, { rotationId, now: services.clock.now() });
  recordSyncAgentOutcomes(metrics, outcomes, services.clock.now());
  await notifySyncAgentRun(notifier, { correlationId: rotationId, trigger: 'timer', outcomes }, { clock: services.clock, logger });
  for (const o of outcomes) {
    if (o.kind === 'failed') {
      logger.error(`Sync agent ${o.target} FAILED (${o.code}): ${o.reason}`, { agent: o.target, code: o.code, rotationId });
    }
  }
  const done =
    `Sync agent key rotation done: ${outcomes.length} agent(s)` +
    (retirement.phase === 'warning' ? `. WARNING: ${retirement.message}` : retirement.phase === 'retired' ? `. REFUSED: ${retirement.message}` : '');
  const count = (kind: string): number => handoffs.statuses.filter((h) => h.handoff?.kind === kind).length;
  const summary = {
    rotationId,
    // Runs through the admin endpoint may come without timer information.
    pastDue: (timer as Partial<Timer> | undefined)?.isPastDue === true,
    ...summarize(outcomes),
    handoffs: { awaitingPickup: count('awaitingPickup'), backOnline: count('backOnline'), overdue: count('overdue'), alarms: handoffs.alarms.length },
    ...(retirement.phase === 'active' ? {} : { retirement: retirement.phase }),
  };
  if (retirement.phase === 'active') logger.info(done, summary);
  else logger.warn(done, summary);
}

export const syncAgentKeyRotation = makeSyncAgentKeyRotation(processServices);

register(syncAgentKeyRotation);
