import { describe, expect, it } from 'vitest';
import { TEST_RESOURCE_GROUP as RG, TEST_SUBSCRIPTION_ID, TEST_TENANT_ID } from '../../support/emulator.js';
import { API, ARM, harness } from './routerHarness.js';

const SERVER_URL = `${ARM}/subscriptions/${TEST_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Sql/servers/sql-primary?${API}`;
const KEY_URL = 'https://test-tde.vault.azure.net/keys/tde-key?api-version=7.6';

describe('Emulator: tokens and the managed-identity endpoint', () => {
  it('issues an App Service managed-identity token for the requested resource', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('GET', 'http://127.0.0.1:1/msi/token?api-version=2019-08-01&resource=https://vault.azure.net', undefined, {
      token: null,
      headers: { 'x-identity-header': 'test-identity-header' },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.expires_on).toMatch(/^\d+$/);
    const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ aud: 'https://vault.azure.net', tid: TEST_TENANT_ID });
  });

  it('refuses the identity endpoint without the identity header', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('GET', 'http://127.0.0.1:1/msi/token?api-version=2019-08-01&resource=https://vault.azure.net', undefined, { token: null });

    // Assess
    expect(res.status).toBe(401);
  });

  it('rejects an ARM request without a token (AuthenticationFailed)', async () => {
    const res = await harness().send('GET', SERVER_URL, undefined, { token: null });

    expect([res.status, res.body.error.code]).toEqual([401, 'AuthenticationFailed']);
  });

  it('rejects an ARM request with a Key Vault token (InvalidAuthenticationTokenAudience)', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('GET', SERVER_URL, undefined, { token: h.tokenFor('https://vault.azure.net') });

    // Assess
    expect([res.status, res.body.error.code]).toEqual([401, 'InvalidAuthenticationTokenAudience']);
  });

  it('rejects an ARM request with an expired token (ExpiredAuthenticationToken)', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('GET', SERVER_URL, undefined, { token: h.tokenFor('https://management.azure.com', -10) });

    // Assess
    expect([res.status, res.body.error.code]).toEqual([401, 'ExpiredAuthenticationToken']);
  });

  it('rejects a garbage token (InvalidAuthenticationToken)', async () => {
    const res = await harness().send('GET', SERVER_URL, undefined, { token: 'not-a-jwt' });

    expect([res.status, res.body.error.code]).toEqual([401, 'InvalidAuthenticationToken']);
  });

  it('requires an api-version on ARM', async () => {
    const res = await harness().send('GET', SERVER_URL.replace(`?${API}`, ''));

    expect([res.status, res.body.error.code]).toEqual([400, 'MissingApiVersionParameter']);
  });

  it('answers a Key Vault request without a token with the 401 challenge', async () => {
    const res = await harness().send('GET', KEY_URL, undefined, { token: null });

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer authorization="https://login.microsoftonline.com/${TEST_TENANT_ID}", resource="https://vault.azure.net"`);
    expect(res.body.error.code).toBe('Unauthorized');
  });

  it('rejects a Key Vault request with an ARM token', async () => {
    // Prepare
    const h = harness();

    // Act
    const res = await h.send('GET', KEY_URL, undefined, { token: h.tokenFor('https://management.azure.com') });

    // Assess
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/audience/i);
  });

  it('challenges Managed HSM with its own audience', async () => {
    const res = await harness().send('GET', 'https://test-hsm.managedhsm.azure.net/keys/k?api-version=7.6', undefined, { token: null });

    expect(res.headers['www-authenticate']).toContain('resource="https://managedhsm.azure.net"');
  });

  it('serves the US Government ARM host name with its audience', async () => {
    const h = harness();
    const url = SERVER_URL.replace('management.azure.com', 'management.usgovcloudapi.net');

    expect((await h.send('GET', url, undefined, { token: h.tokenFor('https://management.usgovcloudapi.net') })).status).toBe(200);
    expect((await h.send('GET', url, undefined, { token: h.tokenFor('https://management.azure.com') })).status).toBe(401);
  });
});
