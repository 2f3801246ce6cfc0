import { describe, expect, it } from 'vitest';
import { deadLetterNotification, keyVersionNotification, syncAgentNotification } from '../../src/app/rotationNotification.js';
import type { Outcome } from '../../src/domain/outcome.js';

const AT = new Date('2026-06-01T12:00:00Z');
const KEY = 'https://contoso-tde.vault.azure.net/keys/tde-key';
const V = 'a'.repeat(32);
const SERVER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s1';
const MI = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi-1';
const SCOPE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg';
const AGENT = `${SERVER}/syncAgents/agent-1`;

const OUTCOMES: Outcome[] = [
  { kind: 'rotated', target: SERVER, detail: 'server key added' },
  { kind: 'skipped', target: MI, reason: 'converged' },
  { kind: 'deferred', target: SERVER, code: 'ServiceUnavailable', reason: 'down', retryAt: AT.toISOString() },
  { kind: 'failed', target: 'not-an-arm-id', code: 'NotInConfig', reason: 'refused' },
];

describe('Function: keyVersionNotification', () => {
  it('lists every target of a rolled-out version with its kind, outcome, code and detail, and sums them up', () => {
    const n = keyVersionNotification({ keyId: `${KEY}/${V}`, correlationId: 'evt-1', trigger: 'event', at: AT, result: { kind: 'processed', outcomes: OUTCOMES } });

    expect(n).toEqual({
      kind: 'rotationCompleted',
      at: AT.toISOString(),
      vault: 'contoso-tde',
      key: 'tde-key',
      version: V,
      keyId: `${KEY}/${V}`,
      correlationId: 'evt-1',
      trigger: 'event',
      servers: [
        { server: SERVER, targetKind: 'server', outcome: 'rotated', detail: 'server key added' },
        { server: MI, targetKind: 'managedInstance', outcome: 'skipped', detail: 'converged' },
        { server: SERVER, targetKind: 'server', outcome: 'deferred', code: 'ServiceUnavailable', detail: 'down' },
        { server: 'not-an-arm-id', outcome: 'failed', code: 'NotInConfig', detail: 'refused' },
      ],
      summary: { rotated: 1, skipped: 1, deferred: 1, failed: 1 },
    });
  });

  it('says a refused version was refused, with the code, the reason and how many targets it concerned', () => {
    const n = keyVersionNotification({
      keyId: `${KEY}/${V}`,
      correlationId: 'run-1',
      trigger: 'cli',
      at: AT,
      result: { kind: 'refused', code: 'AzureKeyVaultKeyDisabled', reason: 'disabled', outcomes: OUTCOMES.slice(0, 2) },
    });

    expect(n).toEqual({
      kind: 'rotationRefused',
      at: AT.toISOString(),
      vault: 'contoso-tde',
      key: 'tde-key',
      version: V,
      keyId: `${KEY}/${V}`,
      correlationId: 'run-1',
      trigger: 'cli',
      code: 'AzureKeyVaultKeyDisabled',
      reason: 'disabled',
      servers: 2,
    });
  });

  it('keeps a key id it cannot parse whole, as the key', () => {
    const n = keyVersionNotification({ keyId: 'not a key id', correlationId: 'c', trigger: 'cli', at: AT, result: { kind: 'processed', outcomes: [] } });

    expect(n).toMatchObject({ vault: '', key: 'not a key id', version: '' });
  });
});

describe('Function: deadLetterNotification', () => {
  const base = { attempt: 4, firstSeen: '2026-06-01T00:00:00Z', correlationId: 'evt-9' };

  it('names a reconcile item by target, kind, key and version hint', () => {
    const n = deadLetterNotification({ kind: 'reconcile', key: KEY, target: MI, versionHint: V, ...base }, 'MaxAttemptsExceeded', 'gave up', AT);

    expect(n).toEqual({
      kind: 'deadLetter',
      at: AT.toISOString(),
      target: MI,
      reason: 'MaxAttemptsExceeded',
      attempt: 4,
      correlationId: 'evt-9',
      workItem: 'reconcile',
      targetKind: 'managedInstance',
      description: 'gave up',
      keyId: `${KEY}/${V}`,
      vault: 'contoso-tde',
      key: 'tde-key',
      version: V,
    });
  });

  it('names a discovery item by scope and versionless key, without a target kind', () => {
    const n = deadLetterNotification({ kind: 'discover', key: KEY, target: SCOPE, ...base }, 'NotInConfig', 'refused', AT);

    expect(n).toEqual({
      kind: 'deadLetter',
      at: AT.toISOString(),
      target: SCOPE,
      reason: 'NotInConfig',
      attempt: 4,
      correlationId: 'evt-9',
      workItem: 'discover',
      description: 'refused',
      keyId: KEY,
      vault: 'contoso-tde',
      key: 'tde-key',
      version: '',
    });
  });

  it('names a sync agent item by agent, secret name and reason code only', () => {
    const n = deadLetterNotification(
      { kind: 'syncAgentKey', target: AGENT, vaultUrl: 'https://sync.vault.azure.net', secretName: 'syncagent-1', rotationId: 'r', ...base },
      'SecretWriteFailed',
      'the description may say more than a notification should',
      AT,
    );

    expect(n).toEqual({ kind: 'deadLetter', at: AT.toISOString(), target: AGENT, reason: 'SecretWriteFailed', attempt: 4, correlationId: 'evt-9', workItem: 'syncAgentKey', secretName: 'syncagent-1' });
  });
});

describe('Function: syncAgentNotification', () => {
  it('lists agents with their secret name when known, the outcome, and the code of what did not rotate', () => {
    const outcomes: Outcome[] = [
      { kind: 'rotated', target: AGENT, detail: 'stored' },
      { kind: 'failed', target: `${AGENT}-2`, code: 'SecretWriteFailed', reason: 'r' },
      { kind: 'deferred', target: `${AGENT}-3`, code: 'ServiceUnavailable', reason: 'r', retryAt: AT.toISOString() },
      { kind: 'skipped', target: `${AGENT}-4`, reason: 'recent' },
    ];

    const n = syncAgentNotification({ correlationId: 'run-3', trigger: 'timer', outcomes, secretNames: new Map([[AGENT.toLowerCase(), 'syncagent-1']]) }, AT);

    expect(n).toEqual({
      kind: 'syncAgentRotation',
      at: AT.toISOString(),
      correlationId: 'run-3',
      trigger: 'timer',
      agents: [
        { agent: AGENT, secretName: 'syncagent-1', outcome: 'rotated' },
        { agent: `${AGENT}-2`, outcome: 'failed', code: 'SecretWriteFailed' },
        { agent: `${AGENT}-3`, outcome: 'deferred', code: 'ServiceUnavailable' },
        { agent: `${AGENT}-4`, outcome: 'skipped' },
      ],
      summary: { rotated: 1, skipped: 1, deferred: 1, failed: 1 },
    });
  });

  it('lists agents without secret names when none are known', () => {
    const n = syncAgentNotification({ correlationId: 'c', trigger: 'cli', outcomes: [{ kind: 'rotated', target: AGENT, detail: 'd' }] }, AT);

    expect(n).toMatchObject({ agents: [{ agent: AGENT, outcome: 'rotated' }] });
  });
});
