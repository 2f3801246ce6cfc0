/** What the demo reads back from the emulator after its rotation: per server, the secrets, the sync agents. */
import type { RunningEmulator } from '../emulator/index.js';

/** The demo estate's key, its vault, and the vault of the sync-agent secrets. */
export const DEMO_VAULT = 'contoso-tde';
export const DEMO_KEY = 'tde-key';
export const DEMO_SECRET_VAULT = 'contoso-sync';

/** Per-server state read back from the emulator after the demo rotation. */
export interface DemoServerSummary {
  readonly server: string;
  readonly resourceGroup: string;
  /** The server has a server key for the new key version. */
  readonly hasNewKey: boolean;
  /** Server key name of the TDE protector. */
  readonly protector: string;
  /** Key version of the protector (undefined for a versionless auto-rotation protector or ServiceManaged). */
  readonly protectorVersion: string | undefined;
  readonly autoRotation: boolean;
  readonly geoPrimary: string | undefined;
}

export interface DemoSummary {
  readonly keyId: string;
  readonly version: string;
  readonly servers: readonly DemoServerSummary[];
  /** Secrets in the demo secret vault: name and number of versions (never values). */
  readonly secrets: readonly { readonly name: string; readonly versions: number }[];
  /** Sync agents and how many keys were generated for each. */
  readonly syncAgents: readonly { readonly agent: string; readonly keyGenerations: number }[];
  /** 429 answers the emulator gave. */
  readonly throttled: number;
  readonly eventsDelivered: number;
  readonly deadLetters: number;
  readonly elapsedMs: number;
}

/** Reads the servers back from the emulator; `hasNewKey` tells whether each holds `newVersion`. */
export function readDemoServers(emulator: RunningEmulator, newVersion: string | undefined): DemoServerSummary[] {
  return [...emulator.state.allServers()].map((s) => {
    const protectorVersion = /_([0-9a-f]{32})$/i.exec(s.protector.serverKeyName)?.[1];
    const hasNewKey =
      newVersion !== undefined && [...s.keys.values()].some((k) => k.uri?.toLowerCase().endsWith(`/${newVersion.toLowerCase()}`));
    return {
      server: s.name,
      resourceGroup: s.resourceGroup,
      hasNewKey,
      protector: s.protector.serverKeyName,
      protectorVersion,
      autoRotation: s.protector.autoRotationEnabled,
      geoPrimary: s.geoPrimary?.name,
    };
  });
}

/** The demo's summary of key version `version` (of `keyId`), read back from the emulator. */
export function readDemoSummary(
  emulator: RunningEmulator,
  run: { readonly keyId: string; readonly version: string; readonly startedAt: number; readonly deadLetters: number },
): DemoSummary {
  const secretVault = emulator.state.vault(DEMO_SECRET_VAULT);
  return {
    keyId: run.keyId,
    version: run.version,
    servers: readDemoServers(emulator, run.version),
    secrets: [...(secretVault?.secrets.values() ?? [])].map((s) => ({ name: s.name, versions: s.versions.length })),
    syncAgents: [...emulator.state.allServers()].flatMap((s) =>
      [...s.syncAgents.values()].map((a) => ({ agent: `${s.name}/${a.name}`, keyGenerations: a.keyGeneration })),
    ),
    throttled: emulator.stats.throttled,
    eventsDelivered: emulator.events.delivered,
    deadLetters: run.deadLetters,
    elapsedMs: Date.now() - run.startedAt,
  };
}
