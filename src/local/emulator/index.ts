/**
 * The local Azure emulator: Azure SQL management (Microsoft.Sql slice), Key Vault data plane and the App
 * Service managed-identity endpoint, reached under the real host names through an HTTPS-intercepting proxy.
 * Only src/local (and tests) may import this.
 */
export { startEmulator, type EmulatorOptions, type RotateKeyOptions, type RunningEmulator } from './startEmulator.js';
export { EmulatorState } from './emulatorState.js';
export type { KeyVersionState, ProtectorState, SecretVersionState, ServerKeyState, ServerState, SyncAgentState, VaultState } from './emulatorState.js';
export { observeSyncAgent, submitCurrentKey, type SyncAgentPickup, type SyncAgentView } from './syncAgentSimulation.js';
export { EmulatorStats, type RequestLogEntry, type RouteStats } from './emulatorStats.js';
export { ROUTE_NAMES, type FaultKind, type FaultSpec } from './faultInjector.js';
export type { EventWebhook } from './keyEventPublisher.js';
export { AZURE_READ_BUCKET, AZURE_WRITE_BUCKET, WriteBucket, type WriteBucketOptions } from './writeBucket.js';
export type { LroKind } from './armSqlRoutes.js';
export { EmulatorRouter, ARM_HOSTS, VAULT_SUFFIXES, IDENTITY_PATH } from './emulatorRouter.js';
export type { EmulatorRequest, EmulatorResponse } from './emulatorHttp.js';
export { mintToken, checkBearer } from './emulatorTokens.js';
export { ensureLocalCa, type LocalCa } from './localCertificateAuthority.js';
export { loadEstate, parseEstate, EstateError, type Estate } from '../estate/estate.js';
export { demoEstate } from '../estate/demoEstate.js';
