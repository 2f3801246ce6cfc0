/** What the demo reads back from the emulator after its rotation: per server, the secrets, the sync agents. */
import type { RunningEmulator } from '@sql-key-rotation/local-azure';

/** The demo estate's key, its vault, and the vault of the sync-agent secrets. */
export const DEMO_VAULT = 'contoso-tde';
export const DEMO_KEY = 'tde-key';
export const DEMO_SECRET_VAULT = 'contoso-sync';

/** Per-target state (server, managed instance, database with its own key) read back after the demo rotation. */
export interface DemoServerSummary {
  readonly kind: 'server' | 'managedInstance' | 'database';
  /** Server or instance name; `{server}/{database}` for a database. */
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

/**
 * Reads the targets back from the emulator (servers, then managed instances, then databases with their own key);
 * `hasNewKey` tells whether each holds `newVersion`.
 */
export function readDemoServers(emulator: RunningEmulator, newVersion: string | undefined): DemoServerSummary[] {
  const holds = (uris: (string | undefined)[]): boolean =>
    newVersion !== undefined && uris.some((u) => u?.toLowerCase().endsWith(`/${newVersion.toLowerCase()}`));
  const instances = [...emulator.state.allManagedInstances()].map((m): DemoServerSummary => ({
    kind: 'managedInstance',
    server: m.name,
    resourceGroup: m.resourceGroup,
    hasNewKey: holds([...m.keys.values()].map((k) => k.uri)),
    protector: m.protector.serverKeyName,
    protectorVersion: /_([0-9a-f]{32})$/i.exec(m.protector.serverKeyName)?.[1],
    autoRotation: m.protector.autoRotationEnabled,
    geoPrimary: m.geoPrimary?.name,
  }));
  const databases = [...emulator.state.allServers()].flatMap((s) =>
    [...s.databases.values()]
      .filter((d) => d.encryptionProtector !== undefined)
      .map((d): DemoServerSummary => ({
        kind: 'database',
        server: `${s.name}/${d.name}`,
        resourceGroup: s.resourceGroup,
        hasNewKey: holds([...d.keys.values()].map((k) => k.uri)),
        protector: d.encryptionProtector ?? '',
        protectorVersion: /\/([0-9a-f]{32})$/i.exec(d.encryptionProtector ?? '')?.[1],
        autoRotation: d.encryptionProtectorAutoRotation,
        geoPrimary: d.geoPrimary === undefined ? undefined : `${d.geoPrimary.server.name}/${d.geoPrimary.name}`,
      })),
  );
  const servers = [...emulator.state.allServers()].map((s) => {
    const protectorVersion = /_([0-9a-f]{32})$/i.exec(s.protector.serverKeyName)?.[1];
    const hasNewKey = holds([...s.keys.values()].map((k) => k.uri));
    return {
      kind: 'server' as const,
      server: s.name,
      resourceGroup: s.resourceGroup,
      hasNewKey,
      protector: s.protector.serverKeyName,
      protectorVersion,
      autoRotation: s.protector.autoRotationEnabled,
      geoPrimary: s.geoPrimary?.name,
    };
  });
  return [...servers, ...instances, ...databases];
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
