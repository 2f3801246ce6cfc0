/**
 * Azure Resource Manager ids of the resources this product touches: logical servers, managed instances, databases
 * (the three kinds of TDE target), sync agents, and the
 * scopes (subscription, resource group) that discovery searches. Pure validation and normalisation; an
 * invalid id throws a terminal RotationError with code `InvalidArmId` naming what is wrong.
 *
 * ARM ids are case-insensitive. The parsers accept any casing of the fixed segments and return a canonical
 * `id`: fixed segments in their documented casing, subscription GUID and server name in lowercase (Azure
 * lowercases server names), resource group and sync agent names as written. Compare ids with {@link sameArmId}.
 */
import { RotationError } from './errors.js';

export interface ScopeId {
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  /** `/subscriptions/{id}` or `/subscriptions/{id}/resourceGroups/{rg}` (canonical). */
  readonly id: string;
}

export interface ServerId {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly serverName: string;
  /** `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{name}` (canonical). */
  readonly id: string;
}

export interface SyncAgentId extends Omit<ServerId, 'id'> {
  readonly agentName: string;
  /** Canonical id of the server the agent belongs to. */
  readonly serverId: string;
  /** `{serverId}/syncAgents/{agent}` (canonical). */
  readonly id: string;
}

/** Thrown for an ARM id that is not of the expected shape. */
export class InvalidArmIdError extends RotationError {
  override readonly name = 'InvalidArmIdError';
  constructor(message: string) {
    super('InvalidArmId', 'terminal', message);
  }
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Resource group: 1-90 letters, digits, underscores, hyphens, periods, parentheses; not ending in a period. */
const RESOURCE_GROUP = /^[\p{L}\p{N}_().-]{1,90}$/u;
/** Logical server: 1-63 lowercase letters, digits, hyphens; not starting or ending with a hyphen. */
const SERVER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Sync agent: 1-128 letters, digits, underscores, hyphens, periods; starting with a letter or digit. */
const SYNC_AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function segments(raw: unknown, what: string): string[] {
  if (typeof raw !== 'string') throw new InvalidArmIdError(`${what} id must be a string, got ${raw === null ? 'null' : typeof raw}`);
  if (raw.length === 0) throw new InvalidArmIdError(`${what} id is empty`);
  if (/\s/.test(raw)) throw new InvalidArmIdError(`${what} id "${raw}" holds whitespace`);
  if (!raw.startsWith('/')) throw new InvalidArmIdError(`${what} id "${raw}" must start with /subscriptions/`);
  if (/[?#%\\]/.test(raw)) throw new InvalidArmIdError(`${what} id "${raw}" holds ?, #, % or a backslash`);
  const parts = raw.slice(1).split('/');
  if (parts.some((p) => p.length === 0)) throw new InvalidArmIdError(`${what} id "${raw}" has an empty segment (or a trailing slash)`);
  return parts;
}

function expectSegment(raw: string, actual: string | undefined, expected: string, what: string): void {
  if (actual === undefined || actual.toLowerCase() !== expected.toLowerCase()) {
    throw new InvalidArmIdError(`${what} id "${raw}": expected "${expected}" where "${actual ?? '(end)'}" is`);
  }
}

function subscription(raw: string, value: string | undefined, what: string): string {
  if (value === undefined || !GUID.test(value)) {
    throw new InvalidArmIdError(`${what} id "${raw}": subscription id "${value ?? ''}" is not a GUID`);
  }
  return value.toLowerCase();
}

function resourceGroup(raw: string, value: string | undefined, what: string): string {
  if (value === undefined || !RESOURCE_GROUP.test(value) || value.endsWith('.')) {
    throw new InvalidArmIdError(
      `${what} id "${raw}": resource group "${value ?? ''}" must be 1-90 letters, digits, _ - . ( ) and not end with a period`,
    );
  }
  return value;
}

/**
 * The first eight segments: `subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Sql/{type}/{name}`, a
 * logical server or a managed instance (whose names follow the same rule, lowercased), with its canonical id.
 */
function parseSqlResourceSegments(
  raw: string,
  parts: string[],
  what: string,
  type: 'servers' | 'managedInstances',
  name: { readonly pattern: RegExp; readonly label: string },
): { readonly subscriptionId: string; readonly resourceGroup: string; readonly name: string; readonly id: string } {
  expectSegment(raw, parts[0], 'subscriptions', what);
  const subscriptionId = subscription(raw, parts[1], what);
  expectSegment(raw, parts[2], 'resourceGroups', what);
  const rg = resourceGroup(raw, parts[3], what);
  expectSegment(raw, parts[4], 'providers', what);
  expectSegment(raw, parts[5], 'Microsoft.Sql', what);
  expectSegment(raw, parts[6], type, what);
  const value = (parts[7] ?? '').toLowerCase();
  if (!name.pattern.test(value)) {
    throw new InvalidArmIdError(
      `${what} id "${raw}": ${name.label} "${parts[7] ?? ''}" must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  }
  return { subscriptionId, resourceGroup: rg, name: value, id: `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Sql/${type}/${value}` };
}

function parseServerSegments(raw: string, parts: string[], what: string): ServerId {
  const s = parseSqlResourceSegments(raw, parts, what, 'servers', { pattern: SERVER_NAME, label: 'server name' });
  return Object.freeze({ subscriptionId: s.subscriptionId, resourceGroup: s.resourceGroup, serverName: s.name, id: s.id });
}

/**
 * `{server id}/{type}/{name}`: the server, then a child resource whose name `validate` checks (throwing
 * InvalidArmIdError), and nothing after it.
 */
function parseServerChild(
  raw: string,
  what: string,
  child: { readonly type: string; readonly label: string; readonly validate: (name: string | undefined) => string },
): { readonly server: Omit<ServerId, 'id'>; readonly name: string; readonly serverId: string; readonly id: string } {
  const parts = segments(raw, what);
  const { id: serverId, ...server } = parseServerSegments(raw, parts, what);
  expectSegment(raw, parts[8], child.type, what);
  const name = child.validate(parts[9]);
  if (parts.length > 10) throw new InvalidArmIdError(`${what} id "${raw}": unexpected segments after the ${child.label} name`);
  return { server, name, serverId, id: `${serverId}/${child.type}/${name}` };
}

/** Parses `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{name}`. */
export function parseServerId(id: string): ServerId {
  const parts = segments(id, 'server');
  const server = parseServerSegments(id, parts, 'server');
  if (parts.length > 8) throw new InvalidArmIdError(`server id "${id}": unexpected segments after the server name`);
  return server;
}

/** Parses `{server id}/syncAgents/{name}`. */
export function parseSyncAgentId(id: string): SyncAgentId {
  const agent = parseServerChild(id, 'sync agent', {
    type: 'syncAgents',
    label: 'agent',
    validate: (name) => {
      if (name === undefined || !SYNC_AGENT_NAME.test(name) || name.endsWith('.')) {
        throw new InvalidArmIdError(
          `sync agent id "${id}": agent name "${name ?? ''}" must be 1-128 letters, digits, _ - . starting with a letter or digit`,
        );
      }
      return name;
    },
  });
  return Object.freeze({ ...agent.server, agentName: agent.name, serverId: agent.serverId, id: agent.id });
}

/** Parses a discovery scope: `/subscriptions/{guid}` or `/subscriptions/{guid}/resourceGroups/{rg}`. */
export function parseScope(id: string): ScopeId {
  const parts = segments(id, 'scope');
  expectSegment(id, parts[0], 'subscriptions', 'scope');
  const subscriptionId = subscription(id, parts[1], 'scope');
  if (parts.length === 2) return Object.freeze({ subscriptionId, id: `/subscriptions/${subscriptionId}` });
  expectSegment(id, parts[2], 'resourceGroups', 'scope');
  const rg = resourceGroup(id, parts[3], 'scope');
  if (parts.length > 4) {
    throw new InvalidArmIdError(`scope "${id}" must be a subscription or a resource group, not a resource below it`);
  }
  return Object.freeze({ subscriptionId, resourceGroup: rg, id: `/subscriptions/${subscriptionId}/resourceGroups/${rg}` });
}

/** ARM ids compare case-insensitively. */
export function sameArmId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether a resource id lies inside a scope (a subscription or resource group id), case-insensitively. */
export function isWithinScope(id: string, scope: string): boolean {
  return id.toLowerCase().startsWith(`${scope.toLowerCase().replace(/\/+$/, '')}/`);
}

// ---------------------------------------------------------------- TDE targets

/** The kinds of resource whose TDE customer-managed key this product rotates. */
export type TargetKind = 'server' | 'managedInstance' | 'database';

export interface ManagedInstanceId {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly managedInstanceName: string;
  /** `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Sql/managedInstances/{name}` (canonical). */
  readonly id: string;
}

export interface DatabaseId extends Omit<ServerId, 'id'> {
  readonly databaseName: string;
  /** Canonical id of the logical server the database lives on. */
  readonly serverId: string;
  /** `{serverId}/databases/{name}` (canonical). */
  readonly id: string;
}

/** Managed instance: 1-63 lowercase letters, digits, hyphens; not starting or ending with a hyphen. */
const MANAGED_INSTANCE_NAME = SERVER_NAME;
/** Database: 1-128 characters, none of `<>*%&:\/?` nor control characters, not ending in a period or space. */
const DATABASE_NAME = /^[^<>*%&:\\/?\p{Cc}]{1,128}$/u;

/** Parses `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Sql/managedInstances/{name}`. */
export function parseManagedInstanceId(id: string): ManagedInstanceId {
  const what = 'managed instance';
  const parts = segments(id, what);
  const mi = parseSqlResourceSegments(id, parts, what, 'managedInstances', { pattern: MANAGED_INSTANCE_NAME, label: 'name' });
  if (parts.length > 8) throw new InvalidArmIdError(`${what} id "${id}": unexpected segments after the managed instance name`);
  return Object.freeze({ subscriptionId: mi.subscriptionId, resourceGroup: mi.resourceGroup, managedInstanceName: mi.name, id: mi.id });
}

/** Parses `{server id}/databases/{name}` (a database of a logical server; `master` is not a TDE target). */
export function parseDatabaseId(id: string): DatabaseId {
  const what = 'database';
  const database = parseServerChild(id, what, {
    type: 'databases',
    label: 'database',
    validate: (name) => {
      if (name === undefined || !DATABASE_NAME.test(name) || /[. ]$/.test(name)) {
        throw new InvalidArmIdError(`${what} id "${id}": database name "${name ?? ''}" must be 1-128 characters without <>*%&:\\/? and not end with a period or space`);
      }
      if (name.toLowerCase() === 'master') throw new InvalidArmIdError(`${what} id "${id}": master cannot have a database-level key`);
      return name;
    },
  });
  return Object.freeze({ ...database.server, databaseName: database.name, serverId: database.serverId, id: database.id });
}

/**
 * The kind of TDE target an ARM id names, by its shape (`.../servers/{s}`, `.../managedInstances/{mi}`,
 * `.../servers/{s}/databases/{db}`), or undefined when it names none of them. Does not validate names.
 */
export function targetKindOf(id: string): TargetKind | undefined {
  const p = id.replace(/^\/+|\/+$/g, '').split('/');
  if (p.length < 8 || p[4]?.toLowerCase() !== 'providers' || p[5]?.toLowerCase() !== 'microsoft.sql') return undefined;
  const type = p[6]?.toLowerCase();
  if (type === 'managedinstances' && p.length === 8) return 'managedInstance';
  if (type !== 'servers') return undefined;
  if (p.length === 8) return 'server';
  if (p.length === 10 && p[8]?.toLowerCase() === 'databases') return 'database';
  return undefined;
}

/** Parses any TDE target id (server, managed instance, database) into its kind and canonical id. */
export function parseTargetId(id: string): { readonly kind: TargetKind; readonly id: string } {
  const kind = targetKindOf(typeof id === 'string' ? id : '');
  switch (kind) {
    case 'managedInstance':
      return { kind, id: parseManagedInstanceId(id).id };
    case 'database':
      return { kind, id: parseDatabaseId(id).id };
    case 'server':
      return { kind, id: parseServerId(id).id };
    case undefined:
      // The server parser names what is wrong with the id.
      return { kind: 'server', id: parseServerId(id).id };
  }
}

/** A short label of a target kind for tables and log lines. */
export const TARGET_KIND_LABELS: Readonly<Record<TargetKind, string>> = Object.freeze({
  server: 'server',
  managedInstance: 'managed instance',
  database: 'database',
});
