/**
 * The app's functions on services built from app settings, for the local host: loadConfig validates them once
 * and createServices builds the clients; the embedded queue, when given, serves as work queue and failure sink.
 */
import type { ServiceOverrides, Services } from '../compositionRoot.js';
import type { FunctionDefinition } from '../functionsHost/functionDefinition.js';
import type { LocalDurableQueue } from './queue/localDurableQueue.js';

/** Loads lazily (the Azure SDKs are heavy) and builds the services on the first invocation. */
export async function loadAppFunctions(
  env: Readonly<Record<string, string | undefined>>,
  queue?: LocalDurableQueue,
  overrides: ServiceOverrides = {},
): Promise<readonly FunctionDefinition[]> {
  const [{ appFunctions }, { createServices }, { loadConfig }] = await Promise.all([
    import('./appFunctions.js'),
    import('../compositionRoot.js'),
    import('../config/loadConfig.js'),
  ]);
  const config = loadConfig(env);
  let services: Services | undefined;
  return appFunctions(() => (services ??= createServices(config, { ...(queue === undefined ? {} : { queue, failures: queue }), ...overrides })));
}
