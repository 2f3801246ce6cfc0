/**
 * Delivers `Microsoft.KeyVault.KeyNewVersionCreated` to a webhook the way Event Grid does: an Event Grid schema
 * array with `aeg-event-type: Notification`, or one structured CloudEvents 1.0 event. Delivery failures are
 * logged, never thrown.
 */
import { randomUUID } from 'node:crypto';
import type { KeyVersionState, VaultState } from './vaultState.js';

/** Where events go. */
export interface EventWebhook {
  readonly url: string;
  readonly schema?: 'EventGridSchema' | 'CloudEventSchemaV1_0';
}

/** Sends events; tracks deliveries in flight so callers can wait for them. */
export class KeyEventPublisher {
  private webhook: EventWebhook | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Events delivered with a 2xx answer. */
  delivered = 0;
  /** Events whose delivery failed. */
  failed = 0;

  constructor(
    webhook: EventWebhook | undefined,
    private readonly log: (line: string) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.webhook = webhook;
  }

  /** Replaces (or removes) the webhook. */
  setWebhook(webhook: EventWebhook | undefined): void {
    this.webhook = webhook;
  }

  /** Starts delivering the event of a new key version; the promise settles when delivery ends (never rejects). */
  publish(vault: VaultState, keyName: string, v: KeyVersionState): Promise<void> {
    const webhook = this.webhook;
    if (!webhook) return Promise.resolve();
    const p = this.deliver(webhook, vault, keyName, v).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  /** Waits for every delivery in flight. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(webhook: EventWebhook, vault: VaultState, keyName: string, v: KeyVersionState): Promise<void> {
    const host = vault.kind === 'managedHsm' ? 'managedhsm.azure.net' : 'vault.azure.net';
    const data: Record<string, unknown> = {
      Id: `https://${vault.name}.${host}/keys/${keyName}/${v.version}`,
      VaultName: vault.name,
      ObjectType: 'Key',
      ObjectName: keyName,
      Version: v.version,
    };
    // The service sends NBF/EXP as numbers; a key without them gets none (rather than an invented value).
    if (v.nbf !== undefined) data['NBF'] = v.nbf;
    if (v.exp !== undefined) data['EXP'] = v.exp;
    const id = randomUUID();
    const time = new Date(this.clock()).toISOString();
    const type = 'Microsoft.KeyVault.KeyNewVersionCreated';
    const cloud = webhook.schema === 'CloudEventSchemaV1_0';
    const body = cloud
      ? { specversion: '1.0', type, source: vault.armId, subject: keyName, id, time, data }
      : [{ id, topic: vault.armId, subject: keyName, eventType: type, eventTime: time, data, dataVersion: '1', metadataVersion: '1' }];
    const headers: Record<string, string> = cloud
      ? { 'content-type': 'application/cloudevents+json; charset=utf-8', 'aeg-event-type': 'Notification' }
      : { 'content-type': 'application/json; charset=utf-8', 'aeg-event-type': 'Notification', 'aeg-subscription-name': 'LOCAL-EMULATOR', 'aeg-delivery-count': '0', 'aeg-data-version': '1', 'aeg-metadata-version': '1' };
    try {
      const res = await fetch(webhook.url, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.ok) this.delivered += 1;
      else {
        this.failed += 1;
        this.log(`event ${type} ${keyName}/${v.version}: webhook answered ${res.status}`);
      }
    } catch (e) {
      this.failed += 1;
      this.log(`event ${type} ${keyName}/${v.version}: delivery failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
