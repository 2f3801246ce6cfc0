import { observeSyncAgent, type RunningEmulator } from '@sql-key-rotation/local-azure';

/**
 * Demo step 5: the sync agent dropped when its key was regenerated; its host (the emulator playing
 * Submit-SyncAgentKey.ps1, `pickupAfterSeconds` in demoEstate.json) submits the new key and the agent comes back,
 * which is what the timer's handoff check (and `sync-agents status`) reports as "back online".
 */
export async function showSyncAgentPickup(emulator: RunningEmulator, out: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const agents = [...emulator.state.allServers()].flatMap((s) => [...s.syncAgents.values()].filter((a) => a.keyGeneration > 0).map((a) => ({ s, a })));
  if (agents.length === 0) return;
  out("Step 5: the sync agent dropped when its key was regenerated; its host submits the new key (simulated)...");
  const deadline = Date.now() + 15_000;
  for (const { s, a } of agents) {
    let view = observeSyncAgent(a, Date.now());
    while (view.state !== 'Online' && Date.now() < deadline && a.pickup.kind === 'after') {
      signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 250));
      view = observeSyncAgent(a, Date.now());
    }
    const seen = view.lastAliveTime === undefined ? 'never' : new Date(view.lastAliveTime).toISOString();
    out(
      view.state === 'Online'
        ? `        sync agent ${s.name}/${a.name}: back online with the new key, submitted by its host at ` +
            `${a.lastAliveAt === undefined ? seen : new Date(a.lastAliveAt).toISOString()} (handoff: back online)`
        : `        sync agent ${s.name}/${a.name}: ${view.state}, last alive ${seen} (handoff: awaiting pickup; overdue after 30 minutes)`,
    );
  }
}
