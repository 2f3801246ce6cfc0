import { describe, expect, it } from 'vitest';
import { DEMO_ESTATE_FILE, EmulatorState, EstateError, demoEstate, loadEstate, parseEstate } from '@sql-key-rotation/local-azure';

describe('Estate: the demo estate', () => {
  it('loads into emulator state with a geo pair, auto-rotation, a sync agent and two vaults', () => {
    const state = new EmulatorState(demoEstate());
    const sub = demoEstate().subscriptions[0]!.id;

    const servers = state.serversInSubscription(sub);
    const secondary = state.server(sub, 'rg-sql-prod', 'contoso-sql-neu');
    expect(servers).toHaveLength(5);
    expect(secondary?.geoPrimary?.name).toBe('contoso-sql-weu');
    expect(state.server(sub, 'rg-sql-prod', 'contoso-sql-auto')?.protector.autoRotationEnabled).toBe(true);
    expect(state.server(sub, 'rg-sql-prod', 'contoso-sql-weu')?.syncAgents.size).toBe(1);
    expect(state.serversInResourceGroup(sub, 'rg-sql-analytics').map((s) => s.name)).toEqual(['contoso-sql-analytics']);
    expect(state.vault('contoso-tde')?.keys.get('tde-key')?.versions).toHaveLength(2);
    expect(state.vault('contoso-sync')).toBeDefined();
  });

  it('reads the same estate from the JSON file', () => {
    expect(loadEstate(DEMO_ESTATE_FILE)).toEqual(demoEstate());
  });

  it('refuses an estate with a non-GUID subscription and lists the problem', () => {
    expect(() => parseEstate({ tenantId: 'x', subscriptions: [{ id: 'sub', resourceGroups: [] }], vaults: [] })).toThrow(EstateError);
    expect(() => parseEstate({ tenantId: 'x', subscriptions: [{ id: 'sub', resourceGroups: [] }], vaults: [] })).toThrow(/tenantId must be a GUID; subscription id sub must be a GUID/);
  });
});
