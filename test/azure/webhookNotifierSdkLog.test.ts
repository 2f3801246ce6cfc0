/**
 * With AZURE_LOG_LEVEL=info the SDK pipeline logs every request and retry through @azure/logger. A webhook URL
 * carries its credential in the path (Slack: /services/T…/B…/token) or the query (Teams Workflows: sig=…), so
 * nothing the notifier sends may put either in that log.
 */
import { createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest } from '@azure/core-rest-pipeline';
import { AzureLogger, getLogLevel, setLogLevel, type AzureLogLevel } from '@azure/logger';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterNotification } from '../../src/app/rotationNotification.js';
import { WebhookNotifier } from '../../src/azure/webhookNotifier.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';
import { startReceiver, type Receiver } from '../cli/receiver.js';

const PATH_SECRET = 'PathTokenXyZ123';
const QUERY_SECRET = 'QuerySigAbC789';

function notification() {
  return deadLetterNotification(
    { kind: 'syncAgentKey', target: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a/syncAgents/a1', vaultUrl: 'https://v.vault.azure.net', secretName: 's', rotationId: 'r', attempt: 1, firstSeen: '2026-01-01T00:00:00.000Z', correlationId: 'c' } as never,
    'Oops',
    'description',
    new Date('2026-01-01T00:00:00Z'),
  );
}

describe('Class: WebhookNotifier and the SDK log (AZURE_LOG_LEVEL=info)', () => {
  let receiver: Receiver;
  let url: string;
  const sdkLog: string[] = [];
  const saved: { level: AzureLogLevel | undefined; log: typeof AzureLogger.log } = { level: undefined, log: AzureLogger.log };

  beforeAll(async () => {
    receiver = await startReceiver();
    const base = new URL(receiver.url);
    url = `${base.origin}/services/T000/B000/${PATH_SECRET}?api-version=1&sig=${QUERY_SECRET}`;
    saved.level = getLogLevel();
    saved.log = AzureLogger.log;
    AzureLogger.log = (...args: unknown[]) => {
      sdkLog.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    setLogLevel('info');
  });
  afterAll(async () => {
    AzureLogger.log = saved.log;
    if (saved.level === undefined) setLogLevel();
    else setLogLevel(saved.level);
    await receiver.close();
  });
  beforeEach(() => {
    sdkLog.length = 0;
    receiver.status = 200;
  });
  afterEach(() => {
    receiver.received.length = 0;
  });

  it('captures the SDK log, where a default pipeline writes the URL path (what the notifier must avoid)', async () => {
    // Prepare
    const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });

    // Act
    await pipeline.sendRequest(createDefaultHttpClient(), createPipelineRequest({ url, method: 'POST', allowInsecureConnection: true }));

    // Assess
    expect(sdkLog.join('\n')).toContain(PATH_SECRET);
  });

  it.each([
    ['a delivered notification', 200, 0],
    ['a webhook answering 503, retried', 503, 2],
  ])('logs %s without the webhook path or query', async (_label, status, maxRetries) => {
    // Prepare
    receiver.status = status;

    // Act
    await new WebhookNotifier({ webhookUrl: url, format: 'slack' }, new CaptureLogger(), { maxRetries }).notify(notification());

    // Assess
    expect(receiver.received.length).toBe(1 + maxRetries);
    expect(receiver.received[0]?.path).toContain(PATH_SECRET);
    const text = sdkLog.join('\n');
    expect(text).not.toContain(PATH_SECRET);
    expect(text).not.toContain(QUERY_SECRET);
    expect(text).not.toContain('/services/T000');
  });

  it('logs an unreachable webhook without its path or query', async () => {
    // Prepare
    const closed = await startReceiver();
    const gone = `${new URL(closed.url).origin}/services/T000/B000/${PATH_SECRET}?sig=${QUERY_SECRET}`;
    await closed.close();

    // Act
    await new WebhookNotifier({ webhookUrl: gone, format: 'generic' }, new CaptureLogger(), { maxRetries: 1 }).notify(notification());

    // Assess
    const text = sdkLog.join('\n');
    expect(text).not.toContain(PATH_SECRET);
    expect(text).not.toContain(QUERY_SECRET);
  });
});
