import { AZURE_CLOUD_SETTING, parseAzureCloud, type AzureCloud } from '../domain/azureCloud.js';
import { ConfigProblems, describe } from './configProblems.js';

/** `AZURE_CLOUD` (default AzureCloud). */
export function parseCloud(p: ConfigProblems, raw: string | undefined): AzureCloud | undefined {
  const r = parseAzureCloud(raw);
  if (r.ok) return r.cloud;
  return p.add(AZURE_CLOUD_SETTING, `${r.reason}, got ${describe(raw)}`);
}
