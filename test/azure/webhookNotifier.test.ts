import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RotationNotification } from '../../src/app/rotationNotification.js';
import { deadLetterNotification, keyVersionNotification, syncAgentNotification } from '../../src/app/rotationNotification.js';
import { formatNotification, MAX_LISTED_TARGETS, WebhookNotifier } from '../../src/azure/webhookNotifier.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { startReceiver, type Receiver } from '../cli/receiver.js';

const KEY_ID = 'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef';
const SERVER = '/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Sql/servers/sql-a';
const AGENT = `${SERVER}/syncAgents/agent-1`;
/** What a sync agent key looks like; it must never reach a webhook. */
const AGENT_KEY = 'SUPER-SECRET-AGENT-KEY-0000';
const AT = new Date('2026-01-01T00:00:00Z');

/** The parts of the chat payloads the tests read. */
interface Block {
  readonly type: string;
  readonly text?: unknown;
}
interface TeamsBody {
  readonly type: string;
  readonly attachments: { readonly contentType: string; readonly content: { readonly type: string; readonly version: string; readonly body: Block[] } }[];
}
interface SlackBody {
  readonly text: string;
  readonly blocks: Block[];
}

function samples(): RotationNotification[] {
  return [
    keyVersionNotification({
      keyId: KEY_ID,
      correlationId: 'evt-1',
      trigger: 'event',
      at: AT,
      result: {
        kind: 'processed',
        outcomes: [
          { kind: 'rotated', target: SERVER, detail: 'server key added; protector switched from version 1' },
          { kind: 'failed', target: `${SERVER}-2`, code: 'ServerKeyNotFound', reason: 'gone' },
        ],
      },
    }),
    keyVersionNotification({
      keyId: KEY_ID,
      correlationId: 'evt-2',
      trigger: 'event',
      at: AT,
      result: { kind: 'refused', code: 'AzureKeyVaultKeyDisabled', reason: 'key is disabled', outcomes: [] },
    }),
    deadLetterNotification(
      { kind: 'syncAgentKey', target: AGENT, vaultUrl: 'https://v.vault.azure.net', secretName: 'agent-1-key', rotationId: 'r', attempt: 3, firstSeen: AT.toISOString(), correlationId: 'r' },
      'SecretWriteFailed',
      // A description must not travel for sync agents, whatever it holds.
      `could not store ${AGENT_KEY}`,
      AT,
    ),
    syncAgentNotification(
      { correlationId: 'r', trigger: 'timer', outcomes: [{ kind: 'rotated', target: AGENT, detail: `stored ${AGENT_KEY}` }], secretNames: new Map([[AGENT.toLowerCase(), 'agent-1-key']]) },
      AT,
    ),
  ];
}

describe('Class: WebhookNotifier', () => {
  let receiver: Receiver;
  const logger = new CaptureLogger();
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.status = 200;
    logger.clear();
  });

  it.each(['generic', 'teams', 'slack'] as const)('posts JSON in the %s format and never a sync agent key', async (format) => {
    // Prepare
    const notifier = new WebhookNotifier({ webhookUrl: receiver.url, format }, logger);

    // Act
    for (const n of samples()) await notifier.notify(n);

    // Assess
    expect(receiver.received).toHaveLength(4);
    for (const r of receiver.received) {
      expect(r.method).toBe('POST');
      expect(r.contentType).toBe('application/json');
      expect(r.body).not.toContain(AGENT_KEY);
      expect(() => JSON.parse(r.body) as unknown).not.toThrow();
    }
    expect(logger.lines).toEqual([]);
  });

  it('generic: the notification itself, with the source', async () => {
    await new WebhookNotifier({ webhookUrl: receiver.url, format: 'generic' }, logger).notify(samples()[0]!);

    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
      source: 'sql-key-rotation',
      kind: 'rotationCompleted',
      vault: 'contoso-tde',
      key: 'tde',
      version: '0123456789abcdef0123456789abcdef',
      servers: [
        { server: SERVER, outcome: 'rotated' },
        { server: `${SERVER}-2`, outcome: 'failed', code: 'ServerKeyNotFound' },
      ],
      summary: { rotated: 1, failed: 1 },
    });
  });

  it('teams: one Adaptive Card in a message, as Teams Workflows webhooks accept', () => {
    const body = formatNotification(samples()[0]!, 'teams') as TeamsBody;

    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]!.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Key rotation finished with failures: contoso-tde/tde version 0123456789abcdef0123456789abcdef' });
    expect(card.body[1]!.type).toBe('FactSet');
    expect(card.body.slice(2).map((b) => b.text)).toEqual([
      'rg-a/sql-a: rotated: server key added; protector switched from version 1',
      'rg-a/sql-a-2: failed (ServerKeyNotFound): gone',
    ]);
  });

  it('slack: text plus header and mrkdwn sections, escaped', () => {
    // Prepare
    const n = keyVersionNotification({
      keyId: KEY_ID,
      correlationId: 'e',
      trigger: 'cli',
      at: AT,
      result: { kind: 'processed', outcomes: [{ kind: 'skipped', target: SERVER, reason: 'protector uses another key (<x> & y)' }] },
    });

    // Act
    const body = formatNotification(n, 'slack') as SlackBody;

    // Assess
    expect(body.text).toBe('Key rotation completed: contoso-tde/tde version 0123456789abcdef0123456789abcdef');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);
    expect(body.blocks[2]!.text).toEqual({ type: 'mrkdwn', text: '• rg-a/sql-a: skipped: protector uses another key (&lt;x&gt; &amp; y)' });
  });

  it('lists at most the first servers in chat formats, then how many more', () => {
    // Prepare
    const outcomes = Array.from({ length: MAX_LISTED_TARGETS + 5 }, (_, i) => ({ kind: 'rotated' as const, target: `${SERVER}${i}`, detail: 'ok' }));
    const n = keyVersionNotification({ keyId: KEY_ID, correlationId: 'e', trigger: 'cli', at: AT, result: { kind: 'processed', outcomes } });

    // Act
    const card = (formatNotification(n, 'teams') as TeamsBody).attachments[0]!.content;

    // Assess
    expect(card.body).toHaveLength(2 + MAX_LISTED_TARGETS + 1);
    expect(card.body.at(-1)!.text).toBe('... and 5 more');
  });

  it('logs a refused delivery with the host and status, never the URL, and does not throw', async () => {
    // Prepare
    receiver.status = 403;

    // Act
    await new WebhookNotifier({ webhookUrl: receiver.url, format: 'generic' }, logger).notify(samples()[0]!);

    // Assess
    expect(logger.at('warn')).toHaveLength(1);
    expect(logger.text()).toContain('webhook answered 403');
    expect(logger.text()).toContain(new URL(receiver.url).host);
    expect(logger.text()).not.toContain('secret-token-in-path');
  });

  it('logs an unreachable webhook and does not throw', async () => {
    // Prepare
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();

    // Act
    await new WebhookNotifier({ webhookUrl: url, format: 'slack' }, logger, { maxRetries: 0 }).notify(samples()[1]!);

    // Assess
    expect(logger.at('warn')[0]?.message).toBe('Notification not delivered: webhook unreachable');
    expect(logger.text()).not.toContain('secret-token-in-path');
  });
});
