/**
 * Pre-flight check of a new key version before any ARM write: refuses what Azure SQL would refuse anyway,
 * with the code Azure itself would return, so the refusal is terminal, immediate and costs no ARM write.
 */
import type { KeyVersionProperties } from './keyVersionProperties.js';

export type PreflightCode = 'AzureKeyVaultKeyDisabled' | 'AzureKeyVaultRsaKeyNotSupported' | 'AzureKeyVaultInvalidExpirationDate';

export type PreflightResult = { readonly ok: true } | { readonly ok: false; readonly code: PreflightCode; readonly reason: string };

/** Key types Azure SQL TDE accepts. */
export const SUPPORTED_KEY_TYPES: readonly string[] = ['RSA', 'RSA-HSM'];
/** RSA modulus sizes Azure SQL TDE accepts. */
export const SUPPORTED_KEY_SIZES: readonly number[] = [2048, 3072];

/**
 * Refuses a key version that is disabled, not RSA/RSA-HSM, not 2048 or 3072 bits, not yet valid (nbf in the
 * future) or expired (exp not in the future). A not-yet-valid key gets `AzureKeyVaultInvalidExpirationDate`
 * too: it is the code Azure SQL uses for a key outside its validity window. Checks run in that order and the
 * first failure is reported.
 */
export function checkKeyVersion(props: KeyVersionProperties, now: Date): PreflightResult {
  const id = props.id;
  if (!props.enabled) return { ok: false, code: 'AzureKeyVaultKeyDisabled', reason: `key ${id} is disabled` };
  if (!SUPPORTED_KEY_TYPES.includes(props.keyType)) {
    return {
      ok: false,
      code: 'AzureKeyVaultRsaKeyNotSupported',
      reason: `key ${id} has type ${props.keyType}; Azure SQL supports ${SUPPORTED_KEY_TYPES.join(' or ')}`,
    };
  }
  if (props.keySize === undefined || !SUPPORTED_KEY_SIZES.includes(props.keySize)) {
    return {
      ok: false,
      code: 'AzureKeyVaultRsaKeyNotSupported',
      reason: `key ${id} is ${props.keySize === undefined ? 'of unknown size' : `${props.keySize} bits`}; Azure SQL supports ${SUPPORTED_KEY_SIZES.join(' or ')} bits`,
    };
  }
  if (props.notBefore !== undefined && props.notBefore.getTime() > now.getTime()) {
    return {
      ok: false,
      code: 'AzureKeyVaultInvalidExpirationDate',
      reason: `key ${id} is not valid before ${props.notBefore.toISOString()}`,
    };
  }
  if (props.expiresOn !== undefined && props.expiresOn.getTime() <= now.getTime()) {
    return { ok: false, code: 'AzureKeyVaultInvalidExpirationDate', reason: `key ${id} expired on ${props.expiresOn.toISOString()}` };
  }
  return { ok: true };
}
