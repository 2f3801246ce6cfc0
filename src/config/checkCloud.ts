import { AZURE_CLOUD_SETTING, cloudOfKeyVaultSuffix, cloudOfServiceBusHost, type AzureCloud } from '../domain/azureCloud.js';
import { parseKeyId, parseVaultUrl, type KeyId } from '../domain/keyId.js';
import type { ServiceBusSettings } from './appConfig.js';
import { ConfigProblems, isObject, prop, type Json, type JsonObject } from './configProblems.js';
import { ROTATION_CONFIG_SETTING, SERVICE_BUS_NAMESPACE_SETTING as FQNS_SETTING } from './settings.js';

/**
 * Every vault and the Service Bus namespace must belong to the configured cloud: the app signs in to one cloud
 * only, so a vault of another would fail on every event. Reads the raw JSON so each problem has its exact path;
 * values that do not parse were reported already.
 */
export function checkCloud(p: ConfigProblems, cloud: AzureCloud, root: JsonObject | undefined, serviceBus: ServiceBusSettings | undefined): void {
  const S = ROTATION_CONFIG_SETTING;
  const refuse = (path: string, what: string, cloudName: string, suffix: string): void => {
    p.add(
      path,
      `is ${what} of ${cloudName} (${suffix}), but ${AZURE_CLOUD_SETTING} is ${cloud.name}: the app signs in to one cloud ` +
        `only; set ${AZURE_CLOUD_SETTING}=${cloudName} or use ${cloud.keyVaultDnsSuffixes.join(' / ')}`,
    );
  };
  const keys = root?.['keys'];
  if (isObject(keys)) {
    for (const uri of Object.keys(keys)) {
      let key: KeyId;
      try {
        key = parseKeyId(uri);
      } catch {
        continue;
      }
      const c = cloudOfKeyVaultSuffix(key.dnsSuffix);
      if (c !== undefined && c !== cloud.name) refuse(prop(`${S}.keys`, uri), 'a key', c, key.dnsSuffix);
    }
  }
  const sync = root?.['syncAgents'];
  if (isObject(sync)) {
    const vaults: [string, Json][] = [[`${S}.syncAgents.vaultUrl`, sync['vaultUrl']]];
    const agents = sync['agents'];
    if (Array.isArray(agents)) {
      (agents as readonly Json[]).forEach((a, i) => {
        if (isObject(a)) vaults.push([`${S}.syncAgents.agents[${i}].vaultUrl`, a['vaultUrl']]);
      });
    }
    for (const [path, raw] of vaults) {
      if (raw === undefined) continue;
      const v = parseVaultUrl(raw);
      if (!v.ok) continue;
      const c = cloudOfKeyVaultSuffix(v.dnsSuffix);
      if (c !== undefined && c !== cloud.name) refuse(path, 'a vault', c, v.dnsSuffix);
    }
  }
  if (serviceBus !== undefined) {
    const c = cloudOfServiceBusHost(serviceBus.fullyQualifiedNamespace);
    if (c !== undefined && c !== cloud.name) {
      p.add(
        FQNS_SETTING,
        `is a Service Bus namespace of ${c}, but ${AZURE_CLOUD_SETTING} is ${cloud.name}: set ${AZURE_CLOUD_SETTING}=${c} ` +
          `or use a namespace under ${cloud.serviceBusDnsSuffix}`,
      );
    }
  }
}
