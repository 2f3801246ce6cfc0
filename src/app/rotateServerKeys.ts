/**
 * The core path. A Key Vault key got a new version: find every server that key protects, refuse a key Azure
 * would refuse, register the new version as a server key everywhere, and (where asked) switch the TDE
 * protector to it: never backwards, never over Azure's own auto-rotation, geo secondaries before primaries.
 *
 * Per server the result is a value (rotated / skipped / deferred / failed). Retriable failures become
 * scheduled work items on the backoff queue; terminal ones are dead-lettered with their reason.
 */
import type { AppConfig, KeyTarget, ServerTarget } from '../config/appConfig.js';
import { sameArmId } from '../domain/armId.js';
import { RotationError, isRotationError } from '../domain/errors.js';
import { parseKeyId, serverKeyName, type KeyId } from '../domain/keyId.js';
import type { KeyNewVersionCreated } from '../domain/keyVaultEvent.js';
import type { Outcome } from '../domain/outcome.js';
import { checkKeyVersion } from '../domain/preflight.js';
import { protectorStep } from '../domain/protectorDecision.js';
import type { ServerKeyWorkItem } from '../domain/workItem.js';
import { mapConcurrent } from './mapConcurrent.js';
import { isNewerVersion } from './versionOrder.js';
import type { KeyReader, ServerDirectory, SqlServerKeys } from './ports.js';
import { itemLogProperties, retryOrDeadLetter, type RetryDeps } from './retryOrDeadLetter.js';

export interface RotateDeps extends RetryDeps {
  readonly keys: KeyReader;
  readonly sql: SqlServerKeys;
  readonly servers: ServerDirectory;
  readonly config: Pick<AppConfig, 'keys' | 'fanOut'>;
}

export type EventResult =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'refused'; readonly code: string; readonly reason: string; readonly outcomes: readonly Outcome[] }
  | { readonly kind: 'processed'; readonly mode: 'inline' | 'queued'; readonly outcomes: readonly Outcome[] };

/** Handles one KeyNewVersionCreated event end to end (inline for small fan-outs, queued otherwise). */
export async function rotateServerKeys(deps: RotateDeps, event: KeyNewVersionCreated): Promise<EventResult> {
  const target = deps.config.keys.get(event.key.versionlessId.toLowerCase());
  if (!target) {
    return { kind: 'ignored', reason: `key ${event.key.versionlessId} is not in ROTATION_CONFIG` };
  }

  const items = planWorkItems(await resolveServers(deps, target), event, deps.clock.now());
  if (items.length === 0) {
    return { kind: 'ignored', reason: `no server is configured or discovered for ${event.key.versionlessId}` };
  }

  // Pre-flight once per event: a key Azure would refuse never reaches ARM. A Key Vault outage here does not
  // stop the work: each item repeats the pre-flight when it runs.
  const refusal = await preflightRefusal(deps, event.key, deps.clock.now()).catch((e: unknown) => {
    if (isRotationError(e) && e.errorClass !== 'terminal') return undefined;
    throw e;
  });
  if (refusal) {
    const outcomes = await mapConcurrent(items, deps.config.fanOut.concurrency, (item) =>
      retryOrDeadLetter(deps, item, refusal),
    );
    return { kind: 'refused', code: refusal.code, reason: refusal.message, outcomes };
  }

  if (items.length > deps.config.fanOut.inlineLimit) {
    await deps.queue.schedule(items);
    const outcomes: Outcome[] = items.map((i) => ({
      kind: 'deferred',
      target: i.target,
      code: 'Queued',
      reason: `fan-out of ${items.length} servers goes through the work queue`,
    }));
    return { kind: 'processed', mode: 'queued', outcomes };
  }

  // Inline: geo secondaries first (all of them), then everything else.
  const secondaries = items.filter((i) => i.geoPrimary !== undefined);
  const others = items.filter((i) => i.geoPrimary === undefined);
  const outcomes = [
    ...(await mapConcurrent(secondaries, deps.config.fanOut.concurrency, (i) => processServerKeyItem(deps, i))),
    ...(await mapConcurrent(others, deps.config.fanOut.concurrency, (i) => processServerKeyItem(deps, i))),
  ];
  return { kind: 'processed', mode: 'inline', outcomes };
}

/** Configured servers plus those discovered in the key's scopes whose protector is this key (any version). */
export async function resolveServers(
  deps: Pick<RotateDeps, 'servers' | 'sql' | 'logger' | 'config'>,
  target: KeyTarget,
): Promise<ServerTarget[]> {
  const found: ServerTarget[] = [];
  if (!target.discovery) return [...target.servers];
  const known = (id: string): boolean =>
    target.servers.some((s) => sameArmId(s.id, id)) || found.some((s) => sameArmId(s.id, id));
  for (const scope of target.discovery.scopes) {
    // A scope that cannot be listed throws: the event is redelivered rather than half-served.
    const ids = await deps.servers.listServers(scope);
    const candidates = ids.filter((id) => !known(id));
    const matches = await mapConcurrent(candidates, deps.config.fanOut.concurrency, async (id) => {
      try {
        const p = await deps.sql.getEncryptionProtector(id);
        if (p.serverKeyType !== 'AzureKeyVault' || !p.uri) return false;
        return sameKey(parseKeyId(p.uri), target.key);
      } catch (e) {
        deps.logger.warn('Discovery could not read a server protector; server skipped', {
          server: id,
          code: isRotationError(e) ? e.code : 'Unknown',
        });
        return false;
      }
    });
    candidates.forEach((id, i) => {
      if (matches[i] && !known(id)) found.push({ id, switchProtector: target.discovery?.switchProtector ?? false });
    });
  }
  return [...target.servers, ...found];
}

/** One work item per server; primaries learn which secondaries must hold the key first. */
export function planWorkItems(all: readonly ServerTarget[], event: KeyNewVersionCreated, now: Date): ServerKeyWorkItem[] {
  return all.map((s) => {
    const secondaries = all.filter((o) => o.geoPrimary !== undefined && sameArmId(o.geoPrimary, s.id)).map((o) => o.id);
    return {
      kind: 'serverKey',
      target: s.id,
      keyId: event.key.id,
      version: event.key.version,
      switchProtector: s.switchProtector,
      ...(s.geoPrimary === undefined ? {} : { geoPrimary: s.geoPrimary }),
      ...(secondaries.length > 0 ? { geoSecondaries: secondaries } : {}),
      attempt: 1,
      firstSeen: now.toISOString(),
      correlationId: event.eventId,
    };
  });
}

/** Returns the refusal (terminal RotationError) when Azure would refuse this key version, else undefined. */
export async function preflightRefusal(deps: Pick<RotateDeps, 'keys'>, key: KeyId, now: Date): Promise<RotationError | undefined> {
  const props = await deps.keys.getKey(key);
  const check = checkKeyVersion(props, now);
  if (check.ok) return undefined;
  return new RotationError(check.code, 'terminal', `Key version refused: ${check.reason}`, {
    details: { vault: key.vaultName, key: key.name, ...(key.version === undefined ? {} : { version: key.version }) },
  });
}

function sameKey(a: KeyId, b: KeyId): boolean {
  return a.versionlessId.toLowerCase() === b.versionlessId.toLowerCase();
}

/**
 * One work item: (server, key version). Used inline by the event handler and by the queue worker for
 * every retry. Never throws for an expected failure; throws only when even scheduling a retry failed.
 */
export async function processServerKeyItem(deps: RotateDeps, item: ServerKeyWorkItem): Promise<Outcome> {
  let key: KeyId;
  try {
    key = parseKeyId(item.keyId);
  } catch (e) {
    return retryOrDeadLetter(deps, item, e as RotationError);
  }
  try {
    const outcome = await rotateOne(deps, item, key);
    deps.logger.info(`Server ${outcome.kind}: ${outcome.kind === 'rotated' ? outcome.detail : outcomeReason(outcome)}`, {
      ...itemLogProperties(item),
      outcome: outcome.kind,
    });
    return outcome;
  } catch (e) {
    if (!isRotationError(e)) throw e;
    return retryOrDeadLetter(deps, item, e);
  }
}

function outcomeReason(o: Outcome): string {
  return o.kind === 'rotated' ? o.detail : o.reason;
}

async function rotateOne(deps: RotateDeps, item: ServerKeyWorkItem, key: KeyId): Promise<Outcome> {
  const refusal = await preflightRefusal(deps, key, deps.clock.now());
  if (refusal) throw refusal;
  const name = serverKeyName(key);

  // Geo order: every secondary holds the key before the primary gets it (and switches).
  for (const secondary of item.geoSecondaries ?? []) {
    if (!(await deps.sql.hasServerKey(secondary, name))) {
      throw new RotationError(
        'WaitingForGeoSecondary',
        'waitingOnOrder',
        `geo secondary ${secondary} does not have server key ${name} yet`,
        { details: { server: item.target, vault: key.vaultName, key: key.name, version: item.version } },
      );
    }
  }

  await deps.sql.upsertServerKey(item.target, name, key.id);
  if (!item.switchProtector) {
    return { kind: 'rotated', target: item.target, detail: `server key ${name} added (protector not managed here)` };
  }

  const step = protectorStep(await deps.sql.getEncryptionProtector(item.target), key);
  if (step.action === 'keep') {
    const text = `server key ${name} added; ${step.reason}`;
    return step.kind === 'rotated'
      ? { kind: 'rotated', target: item.target, detail: text }
      : { kind: 'skipped', target: item.target, reason: text };
  }
  const from = step.action === 'switch' ? step.from : (step.current.version ?? '(versionless)');
  if (step.action === 'compare' && !(await isNewerVersion(deps.keys, key, step.current))) {
    return {
      kind: 'skipped',
      target: item.target,
      reason: `server key ${name} added; protector keeps version ${from}, which is newer`,
    };
  }
  await deps.sql.setEncryptionProtector(item.target, name, false);
  return { kind: 'rotated', target: item.target, detail: `server key ${name} added; protector switched from version ${from}` };
}
