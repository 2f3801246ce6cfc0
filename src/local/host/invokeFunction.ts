/**
 * Runs one function invocation the way the Functions host does: a fresh InvocationContext (invocation id, trigger
 * metadata, a log handler), the definition's own handler, and the host's "Executing / Executed" lines.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext, type TriggerMetadata } from '@azure/functions';
import type { FunctionDefinition } from '../../functionsHost/functionDefinition.js';
import { formatLogArgs, type HostLogSink } from './formatLogRecord.js';

export interface InvocationRequest {
  /** The trigger input handed to the handler (event, timer, message body). */
  readonly input: unknown;
  readonly triggerMetadata?: TriggerMetadata;
  /** Why the function runs, for the log line (`EventGrid`, `Timer`, `ServiceBus`, `Admin`). */
  readonly reason: string;
}

/** Invokes the handler; resolves when it succeeds and rejects with its error when it throws. */
export async function invokeFunction(
  def: FunctionDefinition,
  request: InvocationRequest,
  log: HostLogSink,
): Promise<void> {
  const invocationId = randomUUID();
  const context = new InvocationContext({
    functionName: def.name,
    invocationId,
    triggerMetadata: request.triggerMetadata ?? {},
    logHandler: (level, ...args) => log({ time: new Date(), level, category: def.name, message: formatLogArgs(args) }),
    options: { trigger: { type: `${def.trigger.type}Trigger`, name: triggerParameterName(def) } },
  });
  const started = Date.now();
  log({
    time: new Date(),
    level: 'debug',
    category: 'Host',
    message: `Executing '${def.name}' (Reason='${request.reason}', Id=${invocationId})`,
  });
  try {
    // The definition's union keeps handler and input types paired; the host hands over what the trigger produced.
    await (def.handler as (input: unknown, context: InvocationContext) => Promise<void>)(request.input, context);
  } catch (error) {
    log({
      time: new Date(),
      level: 'error',
      category: 'Host',
      message: `Executed '${def.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${formatLogArgs([error])}`,
    });
    throw error;
  }
  log({
    time: new Date(),
    level: 'debug',
    category: 'Host',
    message: `Executed '${def.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
  });
}

function triggerParameterName(def: FunctionDefinition): string {
  switch (def.trigger.type) {
    case 'eventGrid':
      return 'event';
    case 'timer':
      return 'timer';
    case 'serviceBusQueue':
      return 'message';
  }
}
