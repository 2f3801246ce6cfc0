/**
 * The emulator's local certificate authority: generated once under a directory (default `.local-azure/ca`,
 * gitignored) and reused, because clients trust it through NODE_EXTRA_CA_CERTS, which Node reads at start only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA on disk. */
export interface LocalCa {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

/** Reads the CA from caDir, creating it first when absent. */
export async function ensureLocalCa(caDir: string): Promise<LocalCa> {
  const certPath = join(caDir, 'ca.pem');
  const keyPath = join(caDir, 'ca.key');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(caDir, { recursive: true });
    const { generateCACertificate } = await import('mockttp');
    const ca = await generateCACertificate({ subject: { commonName: 'Local Azure Emulator CA (sql-tde-key-rotation)', organizationName: 'Local Azure Emulator' }, bits: 2048 });
    // Key first, cert last, each by atomic rename: a reader that sees the cert also sees its key.
    const tmp = `.${process.pid}.tmp`;
    writeFileSync(keyPath + tmp, ca.key, { mode: 0o600 });
    renameSync(keyPath + tmp, keyPath);
    writeFileSync(certPath + tmp, ca.cert);
    renameSync(certPath + tmp, certPath);
    chmodSync(keyPath, 0o600);
  }
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
