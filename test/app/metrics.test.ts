import { describe, expect, it } from 'vitest';
import { LogMetrics, recordServerOutcomes, recordSyncAgentOutcomes, ROTATION_OUTCOME_PREFIX } from '../../src/app/metrics.js';
import { CaptureLogger } from '../support/fakes/captureLogger.js';

const KEY_ID = 'https://contoso-tde.vault.azure.net/keys/tde/0123456789abcdef0123456789abcdef';
const AT = new Date('2026-01-01T00:00:00Z');

describe('Class: LogMetrics', () => {
  it('writes one ROTATION_OUTCOME line per server outcome, with the JSON the alert queries parse', () => {
    const logger = new CaptureLogger();

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

    expect(logger.lines.map((l) => l.message)).toEqual([ROTATION_OUTCOME_PREFIX, ROTATION_OUTCOME_PREFIX]);
    expect(logger.lines.map((l) => l.properties)).toEqual([
      { server: 'srv-a', outcome: 'rotated', success: true, vault: 'contoso-tde', key: 'tde', keyVersion: '0123456789abcdef0123456789abcdef', at: AT.toISOString() },
      { server: 'srv-b', outcome: 'failed', success: false, code: 'ServerKeyNotFound', vault: 'contoso-tde', key: 'tde', keyVersion: '0123456789abcdef0123456789abcdef', at: AT.toISOString() },
    ]);
  });

  it('writes SYNC_AGENT_OUTCOME lines without any reason text', () => {
    const logger = new CaptureLogger();

    recordSyncAgentOutcomes(new LogMetrics(logger), [{ kind: 'rotated', target: 'agent-1', detail: 'free text' }], AT);

    expect(logger.text()).toBe('info SYNC_AGENT_OUTCOME {"agent":"agent-1","outcome":"rotated","success":true,"at":"2026-01-01T00:00:00.000Z"}');
  });
});
