/**
 * Event Grid trigger: Microsoft.KeyVault.KeyNewVersionCreated (Event Grid or CloudEvents 1.0 schema).
 * Parse -> rotate the key's servers -> one summary line. Rejected and ignored events are logged, never
 * thrown: a throw only buys a redelivery of the same bad event.
 */
import type { InvocationContext } from '@azure/functions';
import { recordServerOutcomes } from '../src/app/metrics.js';
import { notifyEventResult } from '../src/app/notifier.js';
import { rotateServerKeys } from '../src/app/rotateServerKeys.js';
import { getServices, observers, rotateDeps } from '../src/compositionRoot.js';
import { parseKeyVaultEvent } from '../src/domain/keyVaultEvent.js';
import { summarize } from '../src/domain/outcome.js';
import { contextLogger } from '../src/host/contextLogger.js';
import { register, type FunctionDefinition } from '../src/host/functionDefinition.js';

export async function keyNewVersionCreatedHandler(event: unknown, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  const parsed = parseKeyVaultEvent(event);
  if (parsed.kind === 'invalid') {
    logger.error(`Event rejected: ${parsed.reason}`, { eventId: parsed.eventId ?? null });
    return;
  }
  if (parsed.kind === 'ignored') {
    logger.info(`Event ignored: type ${parsed.eventType} is not handled by this function`, { eventId: parsed.eventId });
    return;
  }
  const { event: e } = parsed;
  const ids = { eventId: e.eventId, keyId: e.key.id };
  const services = getServices();
  const result = await rotateServerKeys(rotateDeps(services, logger), e);
  if (result.kind === 'ignored') {
    logger.info(`Event ignored: ${result.reason}`, ids);
    return;
  }
  const { notifier, metrics } = observers(services, logger);
  recordServerOutcomes(metrics, e.key.id, result.outcomes, services.clock.now());
  await notifyEventResult(notifier, e, result, { clock: services.clock, logger });
  if (result.kind === 'refused') {
    logger.error(`Key version refused (${result.code}): ${result.reason}; no server changed`, {
      ...ids,
      servers: result.outcomes.length,
    });
  } else {
    logger.info(`Event done (${result.mode})`, { ...ids, ...summarize(result.outcomes) });
  }
}

export const keyNewVersionCreated: FunctionDefinition = {
  name: 'keyNewVersionCreated',
  trigger: { type: 'eventGrid' },
  handler: keyNewVersionCreatedHandler,
};

register(keyNewVersionCreated);
