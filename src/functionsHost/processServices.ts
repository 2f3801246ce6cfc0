/**
 * The Azure Functions entry's services: built once per process from the app settings, on the first invocation
 * (so that the worker indexes the functions without loading any SDK, and a configuration error is reported
 * by the invocation that meets it, with every problem listed). This is the only place that reads process.env
 * for the functions; the local host, the CLI, the benchmarks and the tests build their own with createServices.
 */
import { createServices, type Services } from '../compositionRoot.js';
import { loadConfig } from '../config/loadConfig.js';

let built: Services | undefined;

export function processServices(): Services {
  built ??= createServices(loadConfig(process.env));
  return built;
}

/** Where a function's handler gets its services: the process's, or those an entry point passes in. */
export type ServicesProvider = () => Services;
