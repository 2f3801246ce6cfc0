/**
 * Points this process at the emulator (the demo, test/support/emulator.ts): the Azure SDKs take the emulator's
 * proxy and identity endpoint from the environment, so this sets them (and clears what would send
 * DefaultAzureCredential elsewhere), and undoes it on stop. The app's own settings are passed explicitly, never through the environment.
 */
import type { RunningEmulator } from './startEmulator.js';

/** Environment variables that would send DefaultAzureCredential elsewhere than the emulator's identity endpoint. */
export const FOREIGN_CREDENTIAL_ENV: readonly string[] = [
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'IMDS_ENDPOINT',
  'IDENTITY_SERVER_THUMBPRINT',
];

/** Rewrites `env` for the emulator (NODE_EXTRA_CA_CERTS excepted: Node reads it at start only); returns the undo. */
export function pointAtEmulator(emulator: Pick<RunningEmulator, 'env'>, env: NodeJS.ProcessEnv = process.env): () => void {
  const saved = new Map<string, string | undefined>();
  const set = (k: string, v: string | undefined): void => {
    if (!saved.has(k)) saved.set(k, env[k]);
    if (v === undefined) delete env[k];
    else env[k] = v;
  };
  for (const k of FOREIGN_CREDENTIAL_ENV) set(k, undefined);
  for (const [k, v] of Object.entries(emulator.env())) if (k !== 'NODE_EXTRA_CA_CERTS') set(k, v);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
}
