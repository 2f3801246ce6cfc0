import { describe, expect, it } from 'vitest';
import { formatLogArgs, formatLogRecord, readableMessage, shortenArmIds } from '../../../src/local/host/formatLogRecord.js';

const server = '/subscriptions/6a1d2c0e-3b4f-4e5a-9c7d-8e9f0a1b2c3d/resourceGroups/rg-sql-prod/providers/Microsoft.Sql/servers/contoso-sql-weu';

describe('Module: hostLog', () => {
  it('unfolds a trailing JSON object into key=value pairs', () => {
    expect(readableMessage('Work item rotated {"kind":"serverKey","attempt":2,"reason":"two words","x":null}')).toBe(
      'Work item rotated kind=serverKey attempt=2 reason="two words" x=null',
    );
  });

  it('leaves a message without trailing JSON as it is', () => {
    expect(readableMessage('Host running {not json}')).toBe('Host running {not json}');
    expect(readableMessage('plain')).toBe('plain');
  });

  it('formats a record as time, level, category and message', () => {
    const line = formatLogRecord({
      time: new Date('2025-08-01T10:11:12.345Z'),
      level: 'warning',
      category: 'rotationWorker',
      message: `retry {"server":"${server}"}`,
    }, { shortIds: true });

    expect(line).toBe('10:11:12.345 warn  [rotationWorker] retry server=contoso-sql-weu');
  });

  it('shortens server and sync agent ids to their names', () => {
    expect(shortenArmIds(`${server}/syncAgents/agent-1 and ${server}`)).toBe('contoso-sql-weu/agent-1 and contoso-sql-weu');
  });

  it('prints errors by name, code and message, without a stack', () => {
    // Prepare
    const e = Object.assign(new Error('slow down'), { name: 'RotationError', code: 'TooManyRequests' });

    // Act
    const text = formatLogArgs(['failed:', e]);

    // Assess
    expect(text).toBe('failed: RotationError (TooManyRequests): slow down');
    expect(text).not.toContain(' at ');
  });
});
