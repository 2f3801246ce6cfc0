/** Properties of one key version as Key Vault reports them (the pre-flight check reads them; KeyReader returns them). */
export interface KeyVersionProperties {
  /** Versioned key id. */
  readonly id: string;
  readonly version: string;
  readonly enabled: boolean;
  /** `RSA`, `RSA-HSM`, `EC`, `oct-HSM`, ... */
  readonly keyType: string;
  /** Modulus size in bits for RSA keys. */
  readonly keySize?: number;
  readonly notBefore?: Date;
  readonly expiresOn?: Date;
  readonly createdOn?: Date;
}
