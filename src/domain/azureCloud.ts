/**
 * The Azure clouds this product runs in, and what each one changes: the ARM endpoint and token scope, the
 * Entra ID authority host, and the DNS suffixes of Key Vault, Managed HSM and Service Bus. One app setting,
 * `AZURE_CLOUD`, picks the row; a vault or namespace of another cloud is refused at start-up, because the app
 * could sign in to only one of them. Pure data (names as `az cloud list` spells them).
 */

export const AZURE_CLOUD_NAMES = ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'] as const;
export type AzureCloudName = (typeof AZURE_CLOUD_NAMES)[number];

export interface AzureCloud {
  readonly name: AzureCloudName;
  /** Resource Manager endpoint (SqlManagementClient `$host` / `endpoint`). */
  readonly armEndpoint: string;
  /** Token scope of Resource Manager (SqlManagementClient `credentialScopes`). */
  readonly armScope: string;
  /** Entra ID authority host (`authorityHost` of @azure/identity credentials). */
  readonly authorityHost: string;
  /** DNS suffixes of Key Vault and Managed HSM in this cloud. */
  readonly keyVaultDnsSuffixes: readonly string[];
  /** DNS suffix of Service Bus namespaces in this cloud. */
  readonly serviceBusDnsSuffix: string;
}

/** The app setting that names the cloud. */
export const AZURE_CLOUD_SETTING = 'AZURE_CLOUD';
export const DEFAULT_AZURE_CLOUD: AzureCloudName = 'AzureCloud';

function cloud(c: AzureCloud): AzureCloud {
  return Object.freeze({ ...c, keyVaultDnsSuffixes: Object.freeze([...c.keyVaultDnsSuffixes]) });
}

/** The cloud table. */
export const AZURE_CLOUDS: Readonly<Record<AzureCloudName, AzureCloud>> = Object.freeze({
  AzureCloud: cloud({
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    armScope: 'https://management.azure.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
    keyVaultDnsSuffixes: ['vault.azure.net', 'managedhsm.azure.net'],
    serviceBusDnsSuffix: 'servicebus.windows.net',
  }),
  AzureChinaCloud: cloud({
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
    keyVaultDnsSuffixes: ['vault.azure.cn', 'managedhsm.azure.cn'],
    serviceBusDnsSuffix: 'servicebus.chinacloudapi.cn',
  }),
  AzureUSGovernment: cloud({
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    armScope: 'https://management.usgovcloudapi.net/.default',
    authorityHost: 'https://login.microsoftonline.us',
    keyVaultDnsSuffixes: ['vault.usgovcloudapi.net', 'managedhsm.usgovcloudapi.net'],
    serviceBusDnsSuffix: 'servicebus.usgovcloudapi.net',
  }),
});

/**
 * The cloud an `AZURE_CLOUD` value names (absent or blank: {@link DEFAULT_AZURE_CLOUD}). Names compare
 * case-insensitively, as `az cloud set` accepts them; anything else is a reason.
 */
export function parseAzureCloud(raw: string | undefined): { ok: true; cloud: AzureCloud } | { ok: false; reason: string } {
  if (raw === undefined || raw.trim() === '') return { ok: true, cloud: AZURE_CLOUDS[DEFAULT_AZURE_CLOUD] };
  const name = AZURE_CLOUD_NAMES.find((n) => n.toLowerCase() === raw.trim().toLowerCase());
  if (name === undefined) return { ok: false, reason: `must be one of ${AZURE_CLOUD_NAMES.join(', ')}` };
  return { ok: true, cloud: AZURE_CLOUDS[name] };
}

/** The cloud a Key Vault / Managed HSM DNS suffix belongs to (`vault.azure.cn` -> AzureChinaCloud), if any. */
export function cloudOfKeyVaultSuffix(dnsSuffix: string): AzureCloudName | undefined {
  const s = dnsSuffix.toLowerCase();
  return AZURE_CLOUD_NAMES.find((n) => AZURE_CLOUDS[n].keyVaultDnsSuffixes.includes(s));
}

/** The cloud a Service Bus host (`{ns}.servicebus.chinacloudapi.cn`) belongs to, if any. */
export function cloudOfServiceBusHost(host: string): AzureCloudName | undefined {
  const h = host.toLowerCase();
  return AZURE_CLOUD_NAMES.find((n) => h.endsWith(`.${AZURE_CLOUDS[n].serviceBusDnsSuffix}`));
}
