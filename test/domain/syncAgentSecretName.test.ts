import { describe, expect, it } from 'vitest';
import { isValidSecretName, syncAgentSecretName } from '../../src/domain/syncAgentSecretName.js';

describe('Function: syncAgentSecretName', () => {
  it('derives syncagent-{server}-{agent} when that is valid', () => {
    expect(syncAgentSecretName('sql-a', 'agent1')).toBe('syncagent-sql-a-agent1');
  });

  it('replaces invalid characters and adds a stable hash suffix', () => {
    const name = syncAgentSecretName('sql-a', 'agent_1.east');
    expect(name).toMatch(/^syncagent-sql-a-agent-1-east-[0-9a-f]{8}$/);
    expect(syncAgentSecretName('sql-a', 'agent_1.east')).toBe(name);
    expect(isValidSecretName(name)).toBe(true);
  });

  it.each([
    ['a hash with no leading zero', 'agent_1.east'],
    ['a hash with a leading zero', 'agent_228'],
    ['an agent name in capitals', 'Agent_1.EAST'],
  ])('ends a cleaned name with the FNV-1a hash of server/agent in lower case, 8 hex digits (%s)', (_label, agent) => {
    // Prepare: FNV-1a 32-bit over UTF-16 code units, in BigInt arithmetic (a second, independent rendering).
    const fnv1a = (text: string): string => {
      let h = 0x811c9dc5n;
      for (const unit of Array.from({ length: text.length }, (_, i) => text.charCodeAt(i))) h = ((h ^ BigInt(unit)) * 0x01000193n) % 2n ** 32n;
      return h.toString(16).padStart(8, '0');
    };

    // Act
    const name = syncAgentSecretName('sql-a', agent);

    // Assess
    expect(name).toBe(`syncagent-sql-a-${agent.replace(/[_.]/g, '-')}-${fnv1a(`sql-a/${agent}`.toLowerCase())}`);
  });

  it('keeps agents apart whose names differ only in replaced characters', () => {
    expect(syncAgentSecretName('sql-a', 'a_1')).not.toBe(syncAgentSecretName('sql-a', 'a.1'));
  });

  it('truncates long names to 127 characters with a hash suffix', () => {
    const name = syncAgentSecretName('s'.repeat(63), 'a'.repeat(100));
    expect(name).toHaveLength(127);
    expect(name).toMatch(/-[0-9a-f]{8}$/);
    expect(isValidSecretName(name)).toBe(true);
  });

  it('keeps long names apart that share a prefix', () => {
    const a = syncAgentSecretName('s'.repeat(63), `${'a'.repeat(100)}1`);
    const b = syncAgentSecretName('s'.repeat(63), `${'a'.repeat(100)}2`);
    expect(a).not.toBe(b);
  });

  it('does not touch a name exactly at the limit', () => {
    const agent = 'a'.repeat(127 - 'syncagent-sql-a-'.length);
    expect(syncAgentSecretName('sql-a', agent)).toBe(`syncagent-sql-a-${agent}`);
  });
});

describe('Function: isValidSecretName', () => {
  it.each(['a', 'A-1', '0', 'x'.repeat(127)])('accepts %s', (name) => {
    expect(isValidSecretName(name)).toBe(true);
  });

  it.each(['', 'x'.repeat(128), 'a_b', 'a.b', 'a b', 'ä', 7, undefined])('rejects %s', (name) => {
    expect(isValidSecretName(name)).toBe(false);
  });
});
