/**
 * Service Bus queue trigger (session-enabled: one session per target, so one worker at a time per target, on
 * every instance): one work item of the backoff queue. A reconcile item converges its target, a discovery item
 * fans out, a sync-agent item rotates one agent key. Every item is resolved against the current ROTATION_CONFIG
 * before any write (a message is a request, not an authority). Success and expected failures complete the
 * message (retries are new scheduled messages, dead ends go to the failure queue with their reason). A body that
 * is not a work item throws `InvalidWorkItem` (logged with the reason and message id): Service Bus redelivers
 * it, then keeps it in its own dead-letter queue. It is never dropped.
 */
import type { InvocationContext } from '@azure/functions';
import { recordServerOutcomes, recordSyncAgentOutcomes } from '../src/app/metrics.js';
import { processWorkItem } from '../src/app/processWorkItem.js';
import { parseWorkItem } from '../src/app/queueMessage.js';
import { observers, workItemHandlers } from '../src/compositionRoot.js';
import { contextLogger } from '../src/functionsHost/contextLogger.js';
import { register, WORK_QUEUE_TRIGGER, type FunctionDefinition } from '../src/functionsHost/functionDefinition.js';
import { processServices, type ServicesProvider } from '../src/functionsHost/processServices.js';
import { InvalidWorkItemError } from '../src/domain/errors.js';

export function makeRotationWorker(services: ServicesProvider): FunctionDefinition {
  return {
    name: 'rotationWorker',
    trigger: WORK_QUEUE_TRIGGER,
    handler: async (message: unknown, context: InvocationContext): Promise<void> => {
      const logger = contextLogger(context);
      const parsed = parseWorkItem(message);
      const messageId = context.triggerMetadata?.['messageId'] ?? null;
      if (!parsed.ok) {
        logger.error(`Queue message is not a work item: ${parsed.reason}`, { messageId });
        // Thrown: Service Bus redelivers, then moves it to its dead-letter queue with the reason kept here.
        throw new InvalidWorkItemError(`Queue message is not a work item: ${parsed.reason}`);
      }
      const s = services();
      const item = parsed.item;
      const outcome = await processWorkItem(workItemHandlers(s, logger), item);
      const { metrics } = observers(s, logger);
      if (item.kind === 'reconcile') recordServerOutcomes(metrics, item.key, [outcome], s.clock.now());
      else if (item.kind === 'syncAgentKey') recordSyncAgentOutcomes(metrics, [outcome], s.clock.now());
      logger.info(`Work item ${outcome.kind}`, {
        kind: item.kind,
        target: outcome.target,
        attempt: item.attempt,
        correlationId: item.correlationId,
        messageId,
      });
    },
  };
}

export const rotationWorker = makeRotationWorker(processServices);

register(rotationWorker);
