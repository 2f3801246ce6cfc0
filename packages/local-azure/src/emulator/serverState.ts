/**
 * The emulated Azure SQL estate as the emulator holds it: logical servers (keys, protector, geo links, sync agents,
 * databases) and managed instances. Mutable: the routes change it, tests read and change it directly.
 */
import type { SyncAgentPickup } from './syncAgentSimulation.js';

/** Server key type as ARM spells it. */
export type ServerKeyType = 'AzureKeyVault' | 'ServiceManaged';

export interface ServerKeyState {
  name: string;
  serverKeyType: ServerKeyType;
  uri?: string;
  thumbprint?: string;
  creationDate?: string;
  subregion?: string;
  autoRotationEnabled: boolean;
}

export interface ProtectorState {
  serverKeyName: string;
  serverKeyType: ServerKeyType;
  autoRotationEnabled: boolean;
}

export interface SyncAgentState {
  readonly name: string;
  syncDatabaseId: string;
  state: string;
  version: string;
  /** The key most recently returned by generateKey (undefined until the first one). Never log it. */
  currentKey?: string;
  /** How many keys were generated (each invalidates the previous one). */
  keyGeneration: number;
  /** The key generation the agent's host last submitted (0 = the key it was set up with). */
  submittedGeneration: number;
  /** What the host does with a new key (see syncAgentSimulation.ts); default: never picks it up. */
  pickup: SyncAgentPickup;
  /** Epoch ms the agent was last connected, while it is not (undefined: never connected). */
  lastAliveAt?: number | undefined;
  /** Epoch ms the host will submit the current key. */
  pickupAt?: number | undefined;
}

/** What a logical server and a managed instance share: where they are, their keys and protector, their geo links. */
export interface SqlHostState<T> {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  /** ARM id, as ARM spells it. */
  readonly id: string;
  /** By lower-cased key name. */
  readonly keys: Map<string, ServerKeyState>;
  protector: ProtectorState;
  geoPrimary?: T;
  readonly geoSecondaries: T[];
}

/** A logical server. */
export interface ServerState extends SqlHostState<ServerState> {
  /** By lower-cased agent name. */
  readonly syncAgents: Map<string, SyncAgentState>;
  /** By lower-cased database name (user databases; key rotation reads those with a database-level protector). */
  readonly databases: Map<string, DatabaseState>;
}

/** A SQL Managed Instance: keys and protector as a logical server's; geo links are instance failover groups. */
export type ManagedInstanceState = SqlHostState<ManagedInstanceState>;

/** One entry of a database's `keys` map. */
export interface DatabaseKeyState {
  readonly uri: string;
  readonly thumbprint: string;
  readonly creationDate: string;
}

/** A database of a logical server, with its database-level keys and protector (both absent: it follows its server). */
export interface DatabaseState {
  readonly name: string;
  readonly id: string;
  readonly server: ServerState;
  /** By lower-cased key URI. */
  readonly keys: Map<string, DatabaseKeyState>;
  /** Key URI of the database-level protector. */
  encryptionProtector?: string;
  encryptionProtectorAutoRotation: boolean;
  /**
   * Active transactions still hold log encrypted with the old key: a protector change is refused with 400
   * `PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse` until a test clears it.
   */
  oldThumbprintInUse: boolean;
  geoPrimary?: DatabaseState;
  readonly geoSecondaries: DatabaseState[];
}

/** Makes `secondary` the geo secondary of `primary` (servers, managed instances and databases alike). */
export function linkGeo<T extends { geoPrimary?: T; readonly geoSecondaries: T[] }>(primary: T, secondary: T): void {
  secondary.geoPrimary = primary;
  primary.geoSecondaries.push(secondary);
}
