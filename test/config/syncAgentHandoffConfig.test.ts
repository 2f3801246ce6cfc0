import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/domain/errors.js';

const SERVER = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a';
const VAULT = 'https://contoso-sync.vault.azure.net';
const load = (syncAgents: unknown) => loadConfig({ ROTATION_CONFIG: JSON.stringify({ syncAgents }) });
const problems = (syncAgents: unknown): string[] => {
  try {
    load(syncAgents);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
};

describe('Function: loadConfig (sync-agent handoff options)', () => {
  it('reads handoffWindowMinutes and requireOnline for the section and per agent', () => {
    const config = load({
      vaultUrl: VAULT,
      handoffWindowMinutes: 45,
      requireOnline: true,
      agents: [{ id: `${SERVER}/syncAgents/a1`, requireOnline: false }, { id: `${SERVER}/syncAgents/a2` }],
    });

    expect(config.syncAgents.handoffWindowMs).toBe(45 * 60_000);
    expect(config.syncAgents.requireOnline).toBe(true);
    expect(config.syncAgents.agents.map((a) => a.requireOnline)).toEqual([false, undefined]);
  });

  it('leaves both out when not set (defaults: 30 minutes, false)', () => {
    const config = load({ vaultUrl: VAULT, agents: [{ id: `${SERVER}/syncAgents/a1` }] });

    expect(config.syncAgents).not.toHaveProperty('handoffWindowMs');
    expect(config.syncAgents).not.toHaveProperty('requireOnline');
    expect(config.syncAgents.agents[0]).not.toHaveProperty('requireOnline');
  });

  it('reports wrong values with their paths', () => {
    expect(
      problems({ vaultUrl: VAULT, handoffWindowMinutes: 0, requireOnline: 'yes', agents: [{ id: `${SERVER}/syncAgents/a1`, requireOnline: 1 }] }),
    ).toEqual([
      expect.stringMatching(/^ROTATION_CONFIG\.syncAgents\.agents\[0\]\.requireOnline: must be true or false/),
      expect.stringMatching(/^ROTATION_CONFIG\.syncAgents\.handoffWindowMinutes: must be a positive number/),
      expect.stringMatching(/^ROTATION_CONFIG\.syncAgents\.requireOnline: must be true or false/),
    ]);
  });
});
