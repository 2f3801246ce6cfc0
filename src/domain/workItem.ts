/**
 * Work items travel through the backoff queue. They hold identifiers only, never a secret (no sync-agent key,
 * no token). One item per (server, key version) or per (sync agent, rotation).
 */

export interface ServerKeyWorkItem {
  readonly kind: 'serverKey';
  /** Full ARM id of the server. */
  readonly target: string;
  /** Versioned key id, `https://{vault}.{suffix}/keys/{name}/{version}`. */
  readonly keyId: string;
  readonly version: string;
  /** Whether to switch the TDE protector after the key is added. */
  readonly switchProtector: boolean;
  /** Primary server id when this server is a geo secondary; the primary waits for its secondaries. */
  readonly geoPrimary?: string;
  /** Secondaries (server ids) that must have the key before this primary switches its protector. */
  readonly geoSecondaries?: readonly string[];
  /** 1-based attempt number of this delivery. */
  readonly attempt: number;
  /** ISO time the first attempt was made. */
  readonly firstSeen: string;
  /** The Event Grid event id that caused the work. */
  readonly correlationId: string;
}

export interface SyncAgentWorkItem {
  readonly kind: 'syncAgentKey';
  /** Full ARM id of the sync agent. */
  readonly target: string;
  /** Key Vault URL and secret name where the key is stored. */
  readonly vaultUrl: string;
  readonly secretName: string;
  /** Identifies one rotation (the timer run). */
  readonly rotationId: string;
  readonly attempt: number;
  readonly firstSeen: string;
  readonly correlationId: string;
}

export type WorkItem = ServerKeyWorkItem | SyncAgentWorkItem;
