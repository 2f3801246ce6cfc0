/**
 * Vitest global setup: runs once in the main process before the forked test workers start. It creates (or
 * reuses) the local emulator's CA under `.local-azure/ca` and puts it into NODE_EXTRA_CA_CERTS, which the
 * forked workers inherit and which Node reads only when a process starts, so the Azure SDK in every worker
 * trusts the emulator's HTTPS interception.
 */
import { resolve } from 'node:path';
import { ensureLocalCa } from '@sql-key-rotation/local-azure';

/** Directory of the CA shared by globalSetup and every test emulator. */
export const TEST_CA_DIR = resolve(__dirname, '..', '.local-azure', 'ca');

/** Creates or reuses the CA and exports it to the workers. */
export async function setup(): Promise<void> {
  const ca = await ensureLocalCa(TEST_CA_DIR);
  process.env['NODE_EXTRA_CA_CERTS'] = ca.certPath;
}
