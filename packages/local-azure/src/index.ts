/**
 * The local Azure emulator: Azure SQL management (Microsoft.Sql slice), Key Vault data plane and the App
 * Service managed-identity endpoint, reached under the real host names through an HTTPS-intercepting proxy.
 * A workspace package of its own (`@sql-key-rotation/local-azure`): it imports nothing of the app, and of the app
 * only src/local, bench/ and test/ import it. Importing it is light: mockttp loads when an emulator or CA starts.
 */
export { startEmulator, type EmulatorOptions, type RotateKeyOptions, type RunningEmulator } from './emulator/startEmulator.js';
export { EmulatorState } from './emulator/emulatorState.js';
export type { EmulatorBehaviour } from './emulator/emulatorBehaviour.js';
export type { DatabaseState, ManagedInstanceState, ProtectorState, ServerKeyState, ServerState, SyncAgentState } from './emulator/serverState.js';
export type { KeyVersionState, SecretVersionState, VaultState } from './emulator/vaultState.js';
export { observeSyncAgent, submitCurrentKey, type SyncAgentPickup, type SyncAgentView } from './emulator/syncAgentSimulation.js';
export { EmulatorStats, type RequestLogEntry, type RouteStats } from './emulator/emulatorStats.js';
export { ROUTE_NAMES, type FaultKind, type FaultSpec } from './emulator/faultInjector.js';
export type { EventWebhook } from './emulator/keyEventPublisher.js';
export { AZURE_READ_BUCKET, AZURE_WRITE_BUCKET, WriteBucket, type WriteBucketOptions } from './emulator/writeBucket.js';
export type { ArmSqlOptions } from './emulator/armSqlRoutes.js';
export type { LroKind } from './emulator/armOperations.js';
export { EmulatorRouter, ARM_HOSTS, VAULT_SUFFIXES, IDENTITY_PATH } from './emulator/emulatorRouter.js';
export type { EmulatorRequest } from './emulator/emulatorRequest.js';
export type { EmulatorResponse } from './emulator/emulatorResponse.js';
export { mintToken, type TokenClaims } from './emulator/mintToken.js';
export { checkBearer, type TokenCheck } from './emulator/checkBearer.js';
export { ensureLocalCa, type LocalCa } from './emulator/ensureLocalCa.js';
export { loadEstate, parseEstate, EstateError, type Estate } from './estate/estate.js';
export { demoEstate, DEMO_ESTATE_FILE, DEMO_ROTATION_CONFIG_FILE } from './estate/demoEstate.js';
export { pointAtEmulator, FOREIGN_CREDENTIAL_ENV } from './emulator/pointAtEmulator.js';
export { startEmulatorProcess, type EmulatorProcess, type EmulatorProcessOptions, type EmulatorProcessStats } from './emulator/startEmulatorProcess.js';
