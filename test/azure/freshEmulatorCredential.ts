/**
 * A credential that asks the running emulator's managed-identity endpoint for every token, with no cache. A test
 * that starts a second emulator in the same process needs it: each emulator signs tokens with a key of its own,
 * and DefaultAzureCredential keeps the first emulator's token process-wide.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';

export function freshEmulatorCredential(): TokenCredential {
  return {
    async getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? (scopes[0] ?? '') : scopes;
      const url = new URL(process.env['IDENTITY_ENDPOINT'] ?? '');
      url.searchParams.set('api-version', '2019-08-01');
      url.searchParams.set('resource', scope.replace(/\/\.default$/, ''));
      const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': process.env['IDENTITY_HEADER'] ?? '' } });
      const body = (await res.json()) as { access_token: string; expires_on: string };
      return { token: body.access_token, expiresOnTimestamp: Number(body.expires_on) * 1000 };
    },
  };
}
