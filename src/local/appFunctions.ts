/**
 * The functions of this app as the local host runs them: the same definitions Azure registers, made from the
 * services the caller built (createServices), so the local host never steers a global composition root through
 * the environment.
 */
import type { FunctionDefinition } from '../functionsHost/functionDefinition.js';
import type { ServicesProvider } from '../functionsHost/processServices.js';

/** Loads the function modules (they pull in the Azure SDKs) and makes each definition from `services`. */
export async function appFunctions(services: ServicesProvider): Promise<readonly FunctionDefinition[]> {
  const [a, b, c, d] = await Promise.all([
    import('../../functions/keyNewVersionCreated.js'),
    import('../../functions/rotationWorker.js'),
    import('../../functions/reconcileKeys.js'),
    import('../../functions/syncAgentKeyRotation.js'),
  ]);
  return [
    a.makeKeyNewVersionCreated(services),
    b.makeRotationWorker(services),
    c.makeReconcileKeys(services),
    d.makeSyncAgentKeyRotation(services),
  ];
}
