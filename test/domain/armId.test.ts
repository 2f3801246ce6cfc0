import { describe, expect, it } from 'vitest';
import { InvalidArmIdError, isWithinScope, parseDatabaseId, parseManagedInstanceId, parseScope, parseServerId, parseSyncAgentId, parseTargetId, sameArmId, targetKindOf } from '../../src/domain/armId.js';
import { isRotationError } from '../../src/domain/errors.js';

const SUB = '00000000-1111-2222-3333-444444444444';
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-a`;

function thrown(fn: () => unknown): InvalidArmIdError {
  try {
    fn();
  } catch (e) {
    return e as InvalidArmIdError;
  }
  throw new Error('did not throw');
}

describe('Function: parseServerId', () => {
  it('parses a server id', () => {
    expect(parseServerId(SERVER)).toEqual({ subscriptionId: SUB, resourceGroup: 'rg-prod', serverName: 'sql-a', id: SERVER });
  });

  it('accepts any casing of the fixed segments and returns the canonical id', () => {
    const raw = `/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/rg-prod/PROVIDERS/microsoft.sql/SERVERS/SQL-A`;
    expect(parseServerId(raw).id).toBe(SERVER);
  });

  it('lowercases a subscription GUID written in capitals', () => {
    const sub = 'ABCDEF01-2345-6789-ABCD-EF0123456789';
    const parsed = parseServerId(SERVER.replace(SUB, sub));
    expect(parsed.subscriptionId).toBe(sub.toLowerCase());
    expect(parsed.id).toBe(SERVER.replace(SUB, sub.toLowerCase()));
  });

  it('throws an error named InvalidArmIdError', () => {
    expect(thrown(() => parseServerId('')).name).toBe('InvalidArmIdError');
  });

  it.each([
    ['a resource group with dots, parentheses and underscores', `/subscriptions/${SUB}/resourceGroups/rg_(x).y/providers/Microsoft.Sql/servers/a`],
    ['a 63-character server name', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/${'a'.repeat(63)}`],
    ['a one-character server name', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/1`],
  ])('accepts %s', (_label, raw) => {
    expect(parseServerId(raw).id).toBe(raw);
  });

  it.each([
    ['not a string', 42, /must be a string/],
    ['empty', '', /empty/],
    ['no leading slash', SERVER.slice(1), /must start with/],
    ['trailing slash', `${SERVER}/`, /empty segment/],
    ['double slash', SERVER.replace('/resourceGroups', '//resourceGroups'), /empty segment/],
    ['whitespace', ` ${SERVER}`, /whitespace/],
    ['query', `${SERVER}?api-version=1`, /\?/],
    ['subscription not a GUID', SERVER.replace(SUB, 'my-sub'), /not a GUID/],
    ['wrong provider', SERVER.replace('Microsoft.Sql', 'Microsoft.Storage'), /Microsoft\.Sql/],
    ['managed instance', SERVER.replace('/servers/', '/managedInstances/'), /servers/],
    ['server name with underscore', SERVER.replace('sql-a', 'sql_a'), /server name/],
    ['server name starting with hyphen', SERVER.replace('sql-a', '-sql'), /server name/],
    ['server name ending with hyphen', SERVER.replace('sql-a', 'sql-'), /server name/],
    ['server name too long', SERVER.replace('sql-a', 'a'.repeat(64)), /server name/],
    ['missing server name', SERVER.replace('/sql-a', ''), /server name/],
    ['resource group ending with a period', SERVER.replace('rg-prod', 'rg.'), /resource group/],
    ['resource group too long', SERVER.replace('rg-prod', 'r'.repeat(91)), /resource group/],
    ['extra segments', `${SERVER}/databases/db1`, /unexpected segments/],
    ['missing resource group', `/subscriptions/${SUB}/resourceGroups`, /resource group/],
  ])('rejects %s', (_label, raw, message) => {
    const e = thrown(() => parseServerId(raw as string));
    expect(e).toBeInstanceOf(InvalidArmIdError);
    expect(isRotationError(e) && e.code).toBe('InvalidArmId');
    expect(e.errorClass).toBe('terminal');
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^server id /);
  });
});

describe('Function: parseSyncAgentId', () => {
  it('parses a sync agent id', () => {
    expect(parseSyncAgentId(`${SERVER}/syncAgents/agent_1.a`)).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      serverName: 'sql-a',
      agentName: 'agent_1.a',
      serverId: SERVER,
      id: `${SERVER}/syncAgents/agent_1.a`,
    });
  });

  it.each([
    ['a server id', SERVER, /syncAgents/],
    ['another child type', `${SERVER}/databases/db`, /syncAgents/],
    ['missing agent name', `${SERVER}/syncAgents`, /agent name/],
    ['agent name with a slash-free bad character', `${SERVER}/syncAgents/a$b`, /agent name/],
    ['extra segments', `${SERVER}/syncAgents/a/linkedDatabases`, /unexpected segments after the agent name/],
    ['an agent name ending with a period', `${SERVER}/syncAgents/agent.`, /agent name/],
    ['an empty id', '', /empty/],
  ])('rejects %s', (_label, raw, message) => {
    const e = thrown(() => parseSyncAgentId(raw));
    expect(e).toBeInstanceOf(InvalidArmIdError);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^sync agent id /);
  });
});

describe('Function: parseScope', () => {
  it.each([
    [`/subscriptions/${SUB}`, { subscriptionId: SUB, id: `/subscriptions/${SUB}` }],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod`, { subscriptionId: SUB, resourceGroup: 'rg-prod', id: `/subscriptions/${SUB}/resourceGroups/rg-prod` }],
    [`/Subscriptions/${SUB.toUpperCase()}/resourcegroups/rg-prod`, { subscriptionId: SUB, resourceGroup: 'rg-prod', id: `/subscriptions/${SUB}/resourceGroups/rg-prod` }],
  ])('parses %s', (raw, expected) => {
    expect(parseScope(raw)).toEqual(expected);
  });

  it.each([
    ['a server id', SERVER, /not a resource below it/],
    ['a tenant root', '/', /empty segment/],
    ['providers directly under a subscription', `/subscriptions/${SUB}/providers/Microsoft.Sql`, /resourceGroups/],
    ['a bad GUID', '/subscriptions/abc', /GUID/],
  ])('rejects %s', (_label, raw, message) => {
    expect(thrown(() => parseScope(raw)).message).toMatch(message);
  });

  it.each([
    ['an empty id', '', /empty/],
    ['no subscriptions segment', `/subscription/${SUB}`, /"subscriptions"/],
    ['a bad GUID', '/subscriptions/abc', /GUID/],
    ['no resourceGroups segment', `/subscriptions/${SUB}/resourceGroup/rg`, /"resourceGroups"/],
    ['a resource group ending with a period', `/subscriptions/${SUB}/resourceGroups/rg.`, /resource group/],
    ['a resourceGroups segment without a name', `/subscriptions/${SUB}/resourceGroups`, /resource group/],
  ])('names the scope in what it says of %s', (_label, raw, message) => {
    const e = thrown(() => parseScope(raw));
    expect(e).toBeInstanceOf(InvalidArmIdError);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^scope id /);
  });
});

describe('Function: sameArmId', () => {
  it('compares case-insensitively', () => {
    expect(sameArmId(SERVER, SERVER.toUpperCase())).toBe(true);
    expect(sameArmId(SERVER, SERVER.replace('sql-a', 'sql-b'))).toBe(false);
  });
});

const MI = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Sql/managedInstances/mi-a`;
const DB = `${SERVER}/databases/Sales_2026`;

describe('Function: parseManagedInstanceId', () => {
  it('parses and canonicalises an instance id (fixed segments, lowercase name and subscription)', () => {
    const id = parseManagedInstanceId(MI.replace('managedInstances', 'MANAGEDINSTANCES').replace('mi-a', 'MI-A'));
    expect(id).toEqual({ subscriptionId: SUB, resourceGroup: 'rg-prod', managedInstanceName: 'mi-a', id: MI });
  });

  it.each([
    [SERVER, /expected "managedInstances"/],
    [`${MI}/keys/x`, /unexpected segments/],
    [MI.replace('mi-a', '-mi'), /must be 1-63 lowercase/],
  ])('refuses %s', (id, message) => {
    expect(thrown(() => parseManagedInstanceId(id)).message).toMatch(message);
  });

  it('names the managed instance and its name in what it says of a bad id', () => {
    expect(thrown(() => parseManagedInstanceId('')).message).toMatch(/^managed instance id /);
    expect(thrown(() => parseManagedInstanceId(MI.replace('mi-a', '-mi'))).message).toMatch(/: name "-mi"/);
  });
});

describe('Function: parseDatabaseId', () => {
  it('parses a database id, keeping the database name as written', () => {
    expect(parseDatabaseId(DB)).toMatchObject({ serverName: 'sql-a', databaseName: 'Sales_2026', serverId: SERVER, id: DB });
  });

  it.each([
    [`${SERVER}/databases/master`, /master/],
    [`${SERVER}/databases/a:b`, /database name/],
    [`${SERVER}/databases/trailing.`, /database name/],
    [`${DB}/extra`, /unexpected segments/],
    [`${SERVER}/elasticPools/p`, /expected "databases"/],
    [`${SERVER}/databases`, /database name/],
    [`${SERVER}/databases/a#b`, /#/],
    [`${SERVER}/databases/a%20b`, /%/],
    ['', /empty/],
  ])('refuses %s', (id, message) => {
    const e = thrown(() => parseDatabaseId(id));
    expect(e).toBeInstanceOf(InvalidArmIdError);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^database id /);
  });

  it('names the database in what it says of segments after its name', () => {
    expect(thrown(() => parseDatabaseId(`${DB}/extra`)).message).toMatch(/after the database name/);
  });

  it('accepts periods inside a database name', () => {
    expect(parseDatabaseId(`${SERVER}/databases/Sales.2026.Q1`).databaseName).toBe('Sales.2026.Q1');
  });
});

describe('Function: targetKindOf and parseTargetId', () => {
  it.each([
    [SERVER, 'server'],
    [MI, 'managedInstance'],
    [DB, 'database'],
    [`${SERVER}/syncAgents/a`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/x`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/servers/x`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/notproviders/Microsoft.Sql/servers/x`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Sql/managedInstances/mi-a/databases/d`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Sql/elasticPools/p`, undefined],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-a/syncAgents/a/more`, undefined],
    [`${SERVER}/elasticPools/p`, undefined],
    [`${SERVER}/databases`, undefined],
    [`${DB}/extra`, undefined],
    [`${SERVER}/`, 'server'],
    [`//${SERVER.slice(1)}//`, 'server'],
    [SERVER.toUpperCase(), 'server'],
    [DB.replace('databases', 'DATABASES'), 'database'],
    [MI.replace('managedInstances', 'MANAGEDINSTANCES'), 'managedInstance'],
    ['', undefined],
  ] as const)('names the kind of %s: %s', (id, kind) => {
    expect(targetKindOf(id)).toBe(kind);
  });

  it('parses each kind to its canonical id, and refuses what is none', () => {
    expect(parseTargetId(MI.toUpperCase().replace(SUB.toUpperCase(), SUB))).toMatchObject({ kind: 'managedInstance' });
    expect(parseTargetId(DB)).toEqual({ kind: 'database', id: DB });
    expect(parseTargetId(SERVER)).toEqual({ kind: 'server', id: SERVER });
    expect(() => parseTargetId(`${SERVER}/syncAgents/a`)).toThrow(InvalidArmIdError);
  });

  it('names a server id in what it says of an id that is no target', () => {
    expect(thrown(() => parseTargetId(`/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/x`)).message).toMatch(/^server id /);
    expect(thrown(() => parseTargetId(undefined as unknown as string))).toBeInstanceOf(InvalidArmIdError);
  });
});

describe('Function: isWithinScope', () => {
  it.each([
    [SERVER, `/subscriptions/${SUB}`, true],
    [SERVER, `/subscriptions/${SUB}/resourceGroups/rg-prod`, true],
    [SERVER, `/subscriptions/${SUB}/resourceGroups/rg-prod/`, true],
    [SERVER, `/subscriptions/${SUB}/resourceGroups/rg-prod//`, true],
    [SERVER.toUpperCase(), `/subscriptions/${SUB}/resourcegroups/RG-PROD`, true],
    [SERVER, `/subscriptions/${SUB}/resourceGroups/rg-pro`, false],
    [SERVER.replace('rg-prod', 'rg-prod-2'), `/subscriptions/${SUB}/resourceGroups/rg-prod`, false],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod`, `/subscriptions/${SUB}/resourceGroups/rg-prod`, false],
  ] as const)('says whether %s lies in %s: %s', (id, scope, expected) => {
    expect(isWithinScope(id, scope)).toBe(expected);
  });
});
