/**
 * Checks the bearer tokens the emulated services receive against the ones the emulator's identity endpoint issued
 * (mintToken.ts): audience, expiry and, with the run's key, the signature.
 */
import { timingSafeEqual } from 'node:crypto';
import { tokenSignature, type TokenClaims } from './mintToken.js';

/** Why a token cannot be used. */
export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'wrongAudience';

export type TokenCheck = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly problem: TokenProblem; readonly audience?: string; readonly exp?: number };

/**
 * Checks `Authorization: Bearer <token>` against the allowed audiences (compared without trailing slash). With
 * `signingKey`, a token that does not carry this key's signature (forged, unsigned, another run's) is malformed.
 */
export function checkBearer(authorization: string | undefined, audiences: readonly string[], nowSeconds: number, signingKey?: Buffer): TokenCheck {
  if (!authorization) return { ok: false, problem: 'missing' };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m?.[1]) return { ok: false, problem: 'malformed' };
  const parts = m[1].split('.');
  if (parts.length !== 3 || !parts[1]) return { ok: false, problem: 'malformed' };
  if (signingKey !== undefined) {
    const expected = Buffer.from(tokenSignature(`${parts[0]}.${parts[1]}`, signingKey));
    const given = Buffer.from(parts[2] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'malformed' };
  }
  let claims: Partial<TokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Partial<TokenClaims>;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (typeof claims.aud !== 'string' || typeof claims.exp !== 'number') return { ok: false, problem: 'malformed' };
  const aud = claims.aud.replace(/\/+$/, '');
  if (!audiences.some((a) => a.replace(/\/+$/, '').toLowerCase() === aud.toLowerCase())) {
    return { ok: false, problem: 'wrongAudience', audience: claims.aud };
  }
  if (claims.exp <= nowSeconds) return { ok: false, problem: 'expired', exp: claims.exp };
  return { ok: true, claims: claims as TokenClaims };
}
