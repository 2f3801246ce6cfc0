/**
 * Service Bus queue trigger: one work item of the backoff queue (a server key or a sync-agent key).
 * Success and expected failures complete the message (retries are new scheduled messages, dead ends go to
 * the failure queue). A body that is not a work item throws, so Service Bus dead-letters it after
 * maxDeliveryCount: a malformed message is kept, never dropped.
 */
import type { InvocationContext } from '@azure/functions';
import { processWorkItem } from '../src/app/processWorkItem.js';
import { parseWorkItem } from '../src/app/queueMessage.js';
import { recordServerOutcomes, recordSyncAgentOutcomes } from '../src/app/metrics.js';
import { getServices, observers, workItemHandlers } from '../src/compositionRoot.js';
import { InvalidEventError } from '../src/domain/errors.js';
import { contextLogger } from '../src/host/contextLogger.js';
import { register, WORK_QUEUE_TRIGGER, type FunctionDefinition } from '../src/host/functionDefinition.js';

export async function rotationWorkerHandler(message: unknown, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  const parsed = parseWorkItem(message);
  if (!parsed.ok) {
    logger.error(`Queue message is not a work item: ${parsed.reason}`, {
      messageId: context.triggerMetadata?.['messageId'] ?? null,
    });
    throw new InvalidEventError(`Queue message is not a work item: ${parsed.reason}`);
  }
  const services = getServices();
  const outcome = await processWorkItem(workItemHandlers(services, logger), parsed.item);
  const { metrics } = observers(services, logger);
  if (parsed.item.kind === 'serverKey') recordServerOutcomes(metrics, parsed.item.keyId, [outcome], services.clock.now());
  else recordSyncAgentOutcomes(metrics, [outcome], services.clock.now());
  logger.info(`Work item ${outcome.kind}`, {
    kind: parsed.item.kind,
    target: outcome.target,
    attempt: parsed.item.attempt,
    correlationId: parsed.item.correlationId,
  });
}

export const rotationWorker: FunctionDefinition = {
  name: 'rotationWorker',
  trigger: WORK_QUEUE_TRIGGER,
  handler: rotationWorkerHandler,
};

register(rotationWorker);
