/**
 * `npm start` with ROTATION_CONFIG: the local host alone, against whatever Azure the environment reaches (through
 * the HTTPS_PROXY and CA it gives), on the configured Service Bus namespace or the embedded durable queue.
 */
import { join } from 'node:path';
import { DEFAULT_LOCAL_QUEUE_DIR, LOCAL_QUEUE_DIR_SETTING } from '../config/settings.js';
import { consoleLogSink, type HostLogSink } from './host/formatLogRecord.js';
import type { LocalHost } from './host/localHost.js';
import { findProjectRoot } from './host/findProjectRoot.js';
import { loadAppFunctions } from './loadAppFunctions.js';

/** Starts the host on the app settings in `process.env`; fails fast listing every configuration problem. */
export async function startAzureHost(options: { readonly port?: number; readonly log?: HostLogSink } = {}): Promise<LocalHost> {
  const { loadConfig } = await import('../config/loadConfig.js');
  const config = loadConfig(process.env);
  const { startLocalHost } = await import('./host/localHost.js');
  const { LocalDurableQueue } = await import('./queue/localDurableQueue.js');
  // No Service Bus namespace: the embedded durable queue, opened here so that the functions' services use it.
  const queue = config.serviceBus
    ? undefined
    : await LocalDurableQueue.open({
        dir: process.env[LOCAL_QUEUE_DIR_SETTING]?.trim() || join(findProjectRoot(), DEFAULT_LOCAL_QUEUE_DIR),
      });
  const host = await startLocalHost({
    functions: await loadAppFunctions(process.env, queue),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(queue === undefined ? {} : { queue }),
    ...(config.serviceBus ? { serviceBusNamespace: config.serviceBus.fullyQualifiedNamespace } : {}),
    env: process.env,
    log: options.log ?? consoleLogSink(),
  });
  if (queue === undefined) return host;
  return Object.assign(Object.create(host) as LocalHost, {
    stop: async () => {
      await host.stop();
      await queue.close();
    },
  });
}
