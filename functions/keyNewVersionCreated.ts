/**
 * Event Grid trigger: Microsoft.KeyVault.KeyNewVersionCreated (Event Grid or CloudEvents 1.0 schema).
 * Parse -> is the key configured? -> enqueue one reconcile item per target (one discovery item per scope) ->
 * answer. No ARM call and no Key Vault read run inside a delivery: Event Grid waits 30 s, then redelivers.
 * Rejected and ignored events are logged, never thrown: a throw only buys a redelivery of the same bad event.
 * A throw from the queue (Service Bus unreachable) propagates: Event Grid then redelivers, nothing is lost.
 */
import type { InvocationContext } from '@azure/functions';
import { acceptKeyEvent } from '../src/app/acceptKeyEvent.js';
import { parseKeyVaultEvent } from '../src/domain/parseKeyVaultEvent.js';
import { contextLogger } from '../src/functionsHost/contextLogger.js';
import { register, type FunctionDefinition } from '../src/functionsHost/functionDefinition.js';
import { processServices, type ServicesProvider } from '../src/functionsHost/processServices.js';

export function makeKeyNewVersionCreated(services: ServicesProvider): FunctionDefinition {
  return {
    name: 'keyNewVersionCreated',
    trigger: { type: 'eventGrid' },
    handler: async (event: unknown, context: InvocationContext): Promise<void> => {
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
      const result = await acceptKeyEvent(services(), e);
      if (result.kind === 'ignored') logger.info(`Event ignored: ${result.reason}`, ids);
      else logger.info(`Event accepted: ${result.targets} target(s) and ${result.scopes} discovery scope(s) enqueued`, { ...ids, ...result });
    },
  };
}

export const keyNewVersionCreated = makeKeyNewVersionCreated(processServices);

register(keyNewVersionCreated);
