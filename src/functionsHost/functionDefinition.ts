/**
 * One definition per function (name, trigger, handler). The same object is registered with the Azure Functions
 * host through `app.*` and run by the local host (src/local/host), so both execute the same handler code.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { QUEUE_NAME_SETTING, RECONCILE_SCHEDULE_SETTING, SERVICE_BUS_CONNECTION, SYNC_AGENT_SCHEDULE_SETTING } from '../config/settings.js';

export type FunctionDefinition =
  | {
      readonly name: string;
      readonly trigger: { readonly type: 'eventGrid' };
      readonly handler: (event: unknown, context: InvocationContext) => Promise<void>;
    }
  | {
      readonly name: string;
      /** `schedule` may be an app-setting expression (`%NAME%`), resolved by the host. */
      readonly trigger: { readonly type: 'timer'; readonly schedule: string; readonly runOnStartup: boolean };
      readonly handler: (timer: Timer, context: InvocationContext) => Promise<void>;
    }
  | {
      readonly name: string;
      readonly trigger: {
        readonly type: 'serviceBusQueue';
        readonly queueName: string;
        readonly connection: string;
        /** One session per target: Service Bus hands a session to one receiver at a time. */
        readonly isSessionsEnabled: boolean;
      };
      readonly handler: (message: unknown, context: InvocationContext) => Promise<void>;
    };

/** Trigger settings of the Service Bus work-queue function (the local host feeds it from its own queue). */
export const WORK_QUEUE_TRIGGER = {
  type: 'serviceBusQueue',
  queueName: `%${QUEUE_NAME_SETTING}%`,
  connection: SERVICE_BUS_CONNECTION,
  isSessionsEnabled: true,
} as const;

export const SYNC_AGENT_TIMER_SCHEDULE = `%${SYNC_AGENT_SCHEDULE_SETTING}%`;
export const RECONCILE_TIMER_SCHEDULE = `%${RECONCILE_SCHEDULE_SETTING}%`;

/**
 * True inside the Azure Functions Node.js worker, which provides the `@azure/functions-core` module (the same
 * test @azure/functions itself uses). An app setting would not do: Flex Consumption sets no
 * FUNCTIONS_WORKER_RUNTIME.
 */
function inFunctionsWorker(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@azure/functions-core');
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers the definition with the Azure Functions host. Outside the Functions worker (tests, the local host)
 * `app.*` would only print test-mode warnings, so registration is skipped there.
 */
export function register(def: FunctionDefinition): void {
  if (!inFunctionsWorker()) return;
  switch (def.trigger.type) {
    case 'eventGrid':
      app.eventGrid(def.name, { handler: def.handler as never });
      return;
    case 'timer':
      app.timer(def.name, {
        schedule: def.trigger.schedule,
        runOnStartup: def.trigger.runOnStartup,
        handler: def.handler,
      });
      return;
    case 'serviceBusQueue':
      app.serviceBusQueue(def.name, {
        queueName: def.trigger.queueName,
        connection: def.trigger.connection,
        isSessionsEnabled: def.trigger.isSessionsEnabled,
        handler: def.handler as never,
      });
      return;
  }
}
