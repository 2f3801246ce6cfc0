/**
 * Runs the POSIX azd postdeploy hook (infra/hooks/postdeploy.sh) with a stand-in `az` on PATH that records its
 * arguments and the parameters file it is handed. (The Windows hook, postdeploy.ps1, is checked by reading it in
 * wiring.test.ts: there is no PowerShell here.)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bicepParser, declarations, readRepoFile, ROOT } from './bicepParser.js';

interface AzCall {
  readonly args: string[];
  readonly parameters?: { parameters: Record<string, { value: unknown }> };
}

const HOOK = join(ROOT, 'infra', 'hooks', 'postdeploy.sh');
const CRYPTO_AUDITOR = '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3';

/** What main.bicep's outputs put in the azd environment. */
const baseEnv = {
  AZURE_ENV_NAME: 'prod-rotation',
  AZURE_RESOURCE_GROUP: 'rg-prod-rotation',
  EVENT_GRID_SYSTEM_TOPIC_NAME: 'evgt-abc',
  EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg-security',
  AZURE_FUNCTION_APP_NAME: 'func-abc',
  AZURE_STORAGE_ACCOUNT_NAME: 'stabc',
  EVENT_GRID_DEAD_LETTER_CONTAINER: 'eventgrid-deadletter',
  TDE_KEY_NAMES_JSON: '["tde-key","tde-key-2"]',
  AZURE_IDENTITY_PRINCIPAL_ID: '11111111-2222-3333-4444-555555555555',
};

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'postdeploy-'));
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  // The stand-in az: one JSON line per call, with the parameters file read back when one is passed.
  writeFileSync(
    join(bin, 'az'),
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const p = args[args.indexOf('--parameters') + 1];
const call = { args };
if (args.includes('--parameters') && p.startsWith('@')) call.parameters = JSON.parse(fs.readFileSync(p.slice(1), 'utf8'));
fs.appendFileSync(process.env.AZ_LOG, JSON.stringify(call) + '\\n');
`,
  );
  chmodSync(join(bin, 'az'), 0o755);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runHook(env: Record<string, string | undefined>): { status: number | null; stderr: string; calls: AzCall[] } {
  const log = join(dir, 'az.log');
  const merged: Record<string, string> = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, AZ_LOG: log };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const result = spawnSync('sh', [HOOK], { cwd: dir, env: merged, encoding: 'utf8' });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AzCall)
    : [];
  return { status: result.status, stderr: result.stderr, calls };
}

function option(call: AzCall, name: string): string | undefined {
  const i = call.args.indexOf(name);
  return i < 0 ? undefined : call.args[i + 1];
}

describe('postdeploy hook (POSIX)', () => {
  it('deploys the event subscription into the topic resource group with its parameters in a file', async () => {
    const { status, calls, stderr } = runHook(baseEnv);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.args.slice(0, 3)).toEqual(['deployment', 'group', 'create']);
    expect(option(call, '--name')).toBe('event-subscription-prod-rotation');
    expect(option(call, '--resource-group')).toBe('rg-security');
    expect(option(call, '--template-file')).toBe('infra/eventSubscription.bicep');
    expect(option(call, '--parameters')).toBe('@.azure/prod-rotation/eventSubscription.parameters.json');
    // The key names arrive with their quotes, as a JSON array.
    expect(call.parameters!.parameters).toEqual({
      systemTopicName: { value: 'evgt-abc' },
      functionAppName: { value: 'func-abc' },
      appResourceGroupName: { value: 'rg-prod-rotation' },
      storageAccountName: { value: 'stabc' },
      deadLetterContainerName: { value: 'eventgrid-deadletter' },
      keyNames: { value: ['tde-key', 'tde-key-2'] },
    });
    // Every parameter in the file is one that eventSubscription.bicep declares.
    const tree = (await bicepParser()).parse(readRepoFile('infra/eventSubscription.bicep'))!;
    const declared = declarations(tree, 'parameter_declaration').map(({ node }) => node.namedChildren[0]!.text);
    for (const name of Object.keys(call.parameters!.parameters)) expect(declared).toContain(name);
  });

  it('delivers every key when the list is empty, and falls back to the app resource group for an older environment', () => {
    const { status, calls } = runHook({ ...baseEnv, TDE_KEY_NAMES_JSON: '[]', EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP: undefined });
    expect(status).toBe(0);
    expect(option(calls[0]!, '--resource-group')).toBe('rg-prod-rotation');
    expect(calls[0]!.parameters!.parameters.keyNames).toEqual({ value: [] });
  });

  it('accepts the key-name array with blanks and line breaks between elements', () => {
    const { status, calls } = runHook({ ...baseEnv, TDE_KEY_NAMES_JSON: '[ "tde-key" ,\n  "k2" ]' });
    expect(status).toBe(0);
    expect(calls[0]!.parameters!.parameters.keyNames).toEqual({ value: ['tde-key', 'k2'] });
  });

  it.each([
    ['a key name with a quote', { TDE_KEY_NAMES_JSON: '["a\\"b"]' }],
    ['a key name with a space', { TDE_KEY_NAMES_JSON: '["a b"]' }],
    ['key names that are not an array', { TDE_KEY_NAMES_JSON: '"tde-key"' }],
    ['a non-string key name', { TDE_KEY_NAMES_JSON: '[1]' }],
    ['a topic name with a quote', { EVENT_GRID_SYSTEM_TOPIC_NAME: 'evgt"x' }],
    ['a missing function app name', { AZURE_FUNCTION_APP_NAME: undefined }],
    ['an HSM key name with a slash', { MANAGED_HSM_NAME: 'contoso-hsm', MANAGED_HSM_KEY_NAMES: 'ok ../x' }],
    ['an HSM without keys', { MANAGED_HSM_NAME: 'contoso-hsm', MANAGED_HSM_KEY_NAMES: '' }],
  ])('refuses %s, naming the variable', (_case, override) => {
    const { status, stderr, calls } = runHook({ ...baseEnv, ...override });
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/postdeploy: [A-Z_]+ /);
    // Nothing reaches Azure when the event subscription's inputs are bad.
    if (!('MANAGED_HSM_NAME' in override)) expect(calls).toEqual([]);
  });

  it('makes no HSM role assignment when no Managed HSM is configured', () => {
    const { calls } = runHook({ ...baseEnv, MANAGED_HSM_KEY_NAMES: 'ignored' });
    expect(calls.filter((c) => c.args[0] === 'keyvault')).toEqual([]);
  });

  it('assigns Managed HSM Crypto Auditor to the app identity on each HSM key, under a stable name', () => {
    const env = { ...baseEnv, MANAGED_HSM_NAME: 'contoso-hsm', MANAGED_HSM_KEY_NAMES: 'tde-hsm-1 tde-hsm-2' };
    const first = runHook(env);
    expect(first.status).toBe(0);
    const assignments = first.calls.filter((c) => c.args[0] === 'keyvault');
    expect(assignments.map((c) => c.args.slice(0, 4))).toEqual([
      ['keyvault', 'role', 'assignment', 'create'],
      ['keyvault', 'role', 'assignment', 'create'],
    ]);
    expect(assignments.map((c) => option(c, '--scope'))).toEqual(['/keys/tde-hsm-1', '/keys/tde-hsm-2']);
    for (const c of assignments) {
      expect(option(c, '--hsm-name')).toBe('contoso-hsm');
      expect(option(c, '--role')).toBe(CRYPTO_AUDITOR);
      expect(option(c, '--assignee-object-id')).toBe(baseEnv.AZURE_IDENTITY_PRINCIPAL_ID);
      expect(option(c, '--assignee-principal-type')).toBe('ServicePrincipal');
      // The name is the SHA-256 of (hsm, scope, principal, role), GUID-shaped: the PowerShell hook derives the same.
      const hex = createHash('sha256')
        .update(`contoso-hsm|${option(c, '--scope')!}|${baseEnv.AZURE_IDENTITY_PRINCIPAL_ID}|${CRYPTO_AUDITOR}`)
        .digest('hex');
      expect(option(c, '--name')).toBe(
        `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
      );
    }
    rmSync(join(dir, 'az.log'));
    const again = runHook(env);
    expect(again.calls.filter((c) => c.args[0] === 'keyvault').map((c) => option(c, '--name'))).toEqual(
      assignments.map((c) => option(c, '--name')),
    );
  });

  it('assigns another role when MANAGED_HSM_ROLE_ID names one (a custom read-only role)', () => {
    const custom = '6f4ba3cb-9a7e-4b9c-8f1e-0a1b2c3d4e5f';
    const { calls } = runHook({ ...baseEnv, MANAGED_HSM_NAME: 'contoso-hsm', MANAGED_HSM_KEY_NAMES: 'k', MANAGED_HSM_ROLE_ID: custom });
    expect(option(calls.find((c) => c.args[0] === 'keyvault')!, '--role')).toBe(custom);
  });
});
