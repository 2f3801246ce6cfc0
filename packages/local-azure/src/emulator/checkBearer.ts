/**
 * Access tokens of the emulated identity endpoint: JWT-shaped strings carrying the claims the emulated services
 * check (aud, exp, tid), signed HS256 with a key of this emulator run when it has one (startEmulator always does),
 * so that only tokens the emulator issued are accepted; unsigned (`alg: none`) without a key. They are worthless
 * outside the emulator.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims the emulator puts into, and reads from, its tokens. */
export interface TokenClaims {
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly tid: string;
  readonly oid: string;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** Mints a JWT-shaped token: HS256-signed with `signingKey`, unsigned without one. */
export function mintToken(claims: TokenClaims, signingKey?: Buffer): string {
  const body = `${b64url(JSON.stringify({ typ: 'JWT', alg: signingKey === undefined ? 'none' : 'HS256' }))}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${signingKey === undefined ? '' : signature(body, signingKey)}`;
}

function signature(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

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
    const expected = Buffer.from(signature(`${parts[0]}.${parts[1]}`, signingKey));
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
