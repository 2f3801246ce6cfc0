import { describe, expect, it } from 'vitest';
import { LogMetrics, recordServerOutcomes, recordSyncAgentOutcomes, ROTATION_OUTCOME_PREFIX } from '../../src/app/metrics.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';

const KEY_ID = 'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef';
const AT = new Date('2026-01-01T00:00:00Z');

describe('Class: LogMetrics', () => {
  it('writes one ROTATION_OUTCOME line per server outcome, with the JSON the alert queries parse', () => {
    // Prepare
    const logger = new CaptureLogger();

    // Act
    recordServerOutcomes(
      new LogMetrics(logger),
      KEY_ID,
      [
        { kind: 'rotated', target: 'srv-a', detail: 'ok' },
        { kind: 'failed', target: 'srv-b', code: 'ServerKeyNotFound', reason: 'x' },
        { kind: 'deferred', target: 'srv-c', code: 'Queued', reason: 'fan-out' },
      ],
      AT,
    );

    // Assess
    expect(logger.lines.map((l) => l.message)).toEqual([ROTATION_OUTCOME_PREFIX, ROTATION_OUTCOME_PREFIX]);
    expect(logger.lines.map((l) => l.properties)).toEqual([
      { server: 'srv-a', outcome: 'rotated', success: true, vault: 'contoso-tde', key: 'tde', keyVersion: '0123456789abcdef0123456789abcdef', at: AT.toISOString() },
      { server: 'srv-b', outcome: 'failed', success: false, code: 'ServerKeyNotFound', vault: 'contoso-tde', key: 'tde', keyVersion: '0123456789abcdef0123456789abcdef', at: AT.toISOString() },
    ]);
  });

  it('writes SYNC_AGENT_OUTCOME lines without any reason text', () => {
    // Prepare
    const logger = new CaptureLogger();

    // Act
    recordSyncAgentOutcomes(new LogMetrics(logger), [{ kind: 'rotated', target: 'agent-1', detail: 'free text' }], AT);

    // Assess
    expect(logger.text()).toBe('info SYNC_AGENT_OUTCOME {"agent":"agent-1","outcome":"rotated","success":true,"at":"2026-01-01T00:00:00.000Z"}');
  });
});

describe('Function: recordServerOutcomes and recordSyncAgentOutcomes (every kind of outcome)', () => {
  const SERVER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/servers/s1';

  it('records each kind with its success, the code of what did not succeed, and the kind of target', () => {
    // Prepare
    const logger = new CaptureLogger();

    // Act
    recordServerOutcomes(
      new LogMetrics(logger),
      'https://contoso-tde.vault.azure.net/keys/tde',
      [
        { kind: 'skipped', target: SERVER, reason: 'converged' },
        { kind: 'deferred', target: SERVER, code: 'ServiceUnavailable', reason: 'down', retryAt: AT.toISOString() },
        { kind: 'failed', target: SERVER, code: 'Queued', reason: 'a failure is recorded whatever its code' },
      ],
      AT,
    );

    // Assess
    const common = { server: SERVER, targetKind: 'server', vault: 'contoso-tde', key: 'tde', keyVersion: '', at: AT.toISOString() };
    expect(logger.lines.map((l) => l.properties)).toEqual([
      { ...common, outcome: 'skipped', success: true },
      { ...common, outcome: 'deferred', success: false, code: 'ServiceUnavailable' },
      { ...common, outcome: 'failed', success: false, code: 'Queued' },
    ]);
  });

  it('records the version a reconciled target converged to, over the item key id (versioned or not)', () => {
    const logger = new CaptureLogger();
    const converged = 'fedcba9876543210fedcba9876543210';

    recordServerOutcomes(
      new LogMetrics(logger),
      KEY_ID,
      [
        { kind: 'rotated', target: SERVER, detail: 'added', keyVersion: converged },
        { kind: 'skipped', target: SERVER, reason: 'converged', keyVersion: converged },
        { kind: 'deferred', target: SERVER, code: 'ServiceUnavailable', reason: 'down' },
      ],
      AT,
    );

    expect(logger.lines.map((l) => l.properties?.['keyVersion'])).toEqual([converged, converged, '0123456789abcdef0123456789abcdef']);
  });

  it('records a key id it cannot parse as given', () => {
    // Prepare
    const logger = new CaptureLogger();

    // Act
    recordServerOutcomes(new LogMetrics(logger), 'not a key id', [{ kind: 'rotated', target: 'srv', detail: 'd' }], AT);

    // Assess
    expect(logger.lines[0]?.properties).toEqual({ server: 'srv', outcome: 'rotated', success: true, vault: '', key: 'not a key id', keyVersion: '', at: AT.toISOString() });
  });

  it('records sync agent outcomes with their codes when they did not succeed', () => {
    // Prepare
    const logger = new CaptureLogger();

    // Act
    recordSyncAgentOutcomes(
      new LogMetrics(logger),
      [
        { kind: 'skipped', target: 'a1', reason: 'recent' },
        { kind: 'deferred', target: 'a2', code: 'ServiceUnavailable', reason: 'r', retryAt: AT.toISOString() },
        { kind: 'failed', target: 'a3', code: 'SecretWriteFailed', reason: 'r' },
      ],
      AT,
    );

    // Assess
    expect(logger.lines.map((l) => l.properties)).toEqual([
      { agent: 'a1', outcome: 'skipped', success: true, at: AT.toISOString() },
      { agent: 'a2', outcome: 'deferred', success: false, code: 'ServiceUnavailable', at: AT.toISOString() },
      { agent: 'a3', outcome: 'failed', success: false, code: 'SecretWriteFailed', at: AT.toISOString() },
    ]);
  });
});
