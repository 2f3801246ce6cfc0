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

function parseServerSegments(raw: string, parts: string[], what: string): ServerId {
  expectSegment(raw, parts[0], 'subscriptions', what);
  const subscriptionId = subscription(raw, parts[1], what);
  expectSegment(raw, parts[2], 'resourceGroups', what);
  const rg = resourceGroup(raw, parts[3], what);
  expectSegment(raw, parts[4], 'providers', what);
  expectSegment(raw, parts[5], 'Microsoft.Sql', what);
  expectSegment(raw, parts[6], 'servers', what);
  const name = (parts[7] ?? '').toLowerCase();
  if (!SERVER_NAME.test(name)) {
    throw new InvalidArmIdError(
      `${what} id "${raw}": server name "${parts[7] ?? ''}" must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  }
  return Object.freeze({
    subscriptionId,
    resourceGroup: rg,
    serverName: name,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Sql/servers/${name}`,
  });
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
  const parts = segments(id, 'sync agent');
  const server = parseServerSegments(id, parts, 'sync agent');
  expectSegment(id, parts[8], 'syncAgents', 'sync agent');
  const agentName = parts[9];
  if (agentName === undefined || !SYNC_AGENT_NAME.test(agentName) || agentName.endsWith('.')) {
    throw new InvalidArmIdError(
      `sync agent id "${id}": agent name "${agentName ?? ''}" must be 1-128 letters, digits, _ - . starting with a letter or digit`,
    );
  }
  if (parts.length > 10) throw new InvalidArmIdError(`sync agent id "${id}": unexpected segments after the agent name`);
  return Object.freeze({
    subscriptionId: server.subscriptionId,
    resourceGroup: server.resourceGroup,
    serverName: server.serverName,
    agentName,
    serverId: server.id,
    id: `${server.id}/syncAgents/${agentName}`,
  });
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
  expectSegment(id, parts[0], 'subscriptions', what);
  const subscriptionId = subscription(id, parts[1], what);
  expectSegment(id, parts[2], 'resourceGroups', what);
  const rg = resourceGroup(id, parts[3], what);
  expectSegment(id, parts[4], 'providers', what);
  expectSegment(id, parts[5], 'Microsoft.Sql', what);
  expectSegment(id, parts[6], 'managedInstances', what);
  const name = (parts[7] ?? '').toLowerCase();
  if (!MANAGED_INSTANCE_NAME.test(name)) {
    throw new InvalidArmIdError(
      `${what} id "${id}": name "${parts[7] ?? ''}" must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  }
  if (parts.length > 8) throw new InvalidArmIdError(`${what} id "${id}": unexpected segments after the managed instance name`);
  return Object.freeze({
    subscriptionId,
    resourceGroup: rg,
    managedInstanceName: name,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Sql/managedInstances/${name}`,
  });
}

/** Parses `{server id}/databases/{name}` (a database of a logical server; `master` is not a TDE target). */
export function parseDatabaseId(id: string): DatabaseId {
  const what = 'database';
  const parts = segments(id, what);
  const server = parseServerSegments(id, parts, what);
  expectSegment(id, parts[8], 'databases', what);
  const name = parts[9];
  if (name === undefined || !DATABASE_NAME.test(name) || /[. ]$/.test(name)) {
    throw new InvalidArmIdError(`${what} id "${id}": database name "${name ?? ''}" must be 1-128 characters without <>*%&:\\/? and not end with a period or space`);
  }
  if (name.toLowerCase() === 'master') throw new InvalidArmIdError(`${what} id "${id}": master cannot have a database-level key`);
  if (parts.length > 10) throw new InvalidArmIdError(`${what} id "${id}": unexpected segments after the database name`);
  return Object.freeze({
    subscriptionId: server.subscriptionId,
    resourceGroup: server.resourceGroup,
    serverName: server.serverName,
    databaseName: name,
    serverId: server.id,
    id: `${server.id}/databases/${name}`,
  });
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
