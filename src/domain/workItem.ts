/**
 * Work items travel through the backoff queue. They carry identifiers (which key, which target, a version
 * hint, a correlation id), never decisions and never a secret: whoever can send to the queue can only ask the
 * worker to *look at* a target. What to do is derived from ROTATION_CONFIG and Key Vault when the item runs.
 */

/** Fields every item has. */
interface WorkItemBase {
  /** 1-based attempt number of this delivery. */
  readonly attempt: number;
  /** ISO time the first attempt was made. */
  readonly firstSeen: string;
  /** The Event Grid event id, timer invocation id or CLI run id that caused the work. */
  readonly correlationId: string;
  /**
   * Set by manual runs (timer, admin endpoint, CLI): part of the message id, so that a deliberate re-run within
   * Service Bus' duplicate-detection window is not taken for a duplicate.
   */
  readonly runId?: string;
}

/**
 * Claims a message made that only ROTATION_CONFIG may make (a legacy item, or a crafted one). The worker
 * compares them with the config and dead-letters the item (`NotInConfig`) when they disagree.
 */
export interface WorkItemClaims {
  readonly switchProtector?: boolean;
  readonly geoPrimary?: string;
  /** The version a versioned key id in the message named. */
  readonly keyVersion?: string;
}

/** Converge one target (a logical server) to the newest allowed version of one configured key. */
export interface ReconcileWorkItem extends WorkItemBase {
  readonly kind: 'reconcile';
  /** Versionless key id, `https://{vault}.{suffix}/keys/{name}`. */
  readonly key: string;
  /** Full ARM id of the target. */
  readonly target: string;
  /** The version the trigger named (a hint: a newer allowed version wins). */
  readonly versionHint?: string;
  readonly claims?: WorkItemClaims;
}

/** Find the targets of a key in one discovery scope and enqueue a reconcile item for each. */
export interface DiscoverWorkItem extends WorkItemBase {
  readonly kind: 'discover';
  /** Versionless key id. */
  readonly key: string;
  /** The discovery scope (`/subscriptions/{id}` or `.../resourceGroups/{rg}`). */
  readonly target: string;
  readonly versionHint?: string;
}

export interface SyncAgentWorkItem extends WorkItemBase {
  readonly kind: 'syncAgentKey';
  /** Full ARM id of the sync agent. */
  readonly target: string;
  /** Key Vault URL and secret name where the key is stored (checked against the config before any write). */
  readonly vaultUrl: string;
  readonly secretName: string;
  /** Identifies one rotation (the timer run). */
  readonly rotationId: string;
}

export type WorkItem = ReconcileWorkItem | DiscoverWorkItem | SyncAgentWorkItem;
export type WorkItemKind = WorkItem['kind'];
