import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FAILURE_QUEUE_NAME,
  DEFAULT_QUEUE_NAME,
  DEFAULT_RECONCILE_SCHEDULE,
  DEFAULT_SYNC_AGENT_SCHEDULE,
  QUEUE_NAME_SETTING,
  RECONCILE_SCHEDULE_SETTING,
  SERVICE_BUS_CONNECTION,
  SYNC_AGENT_SCHEDULE_SETTING,
} from '../../src/config/settings.js';
import { bicepFiles, bicepParser, declarations, nodesOfType, readRepoFile, ROOT } from './bicepParser.js';

/** Built-in role definition GUIDs, as published in Azure's built-in roles reference. */
const BUILT_IN = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
} as const;

/** Names of the FunctionDefinitions exported by functions/*.ts (`name: '...'` of each definition). */
function exportedFunctionNames(): string[] {
  return readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readRepoFile(`functions/${f}`).matchAll(/^\s+name: '([A-Za-z0-9_-]+)',$/gm)].map((m) => m[1]!));
}

/** The body text of `resource <symbol> ...` in a template (from the parse tree). */
async function resourceText(file: string, symbol: string): Promise<string> {
  const tree = (await bicepParser()).parse(readRepoFile(file))!;
  const node = nodesOfType(tree, 'resource_declaration').find((n) => n.namedChildren[0]?.text === symbol);
  if (!node) throw new Error(`${file}: no resource ${symbol}`);
  return node.text;
}

/** Every role assignment resource in infra/, with its file. */
async function roleAssignments(): Promise<{ file: string; symbol: string; text: string }[]> {
  const parser = await bicepParser();
  return bicepFiles().flatMap((file) =>
    nodesOfType(parser.parse(readRepoFile(file))!, 'resource_declaration')
      .filter((n) => n.text.includes("'Microsoft.Authorization/roleAssignments@"))
      .map((n) => ({ file, symbol: n.namedChildren[0]!.text, text: n.text })),
  );
}

describe('Event Grid subscription', () => {
  it('filters on Microsoft.KeyVault.KeyNewVersionCreated only', async () => {
    const text = await resourceText('infra/eventSubscription.bicep', 'keyNewVersionCreated');
    const types = /includedEventTypes: \[([^\]]*)\]/.exec(text)?.[1];
    expect(types?.trim().split(/\s+/)).toEqual(["'Microsoft.KeyVault.KeyNewVersionCreated'"]);
  });

  it('delivers to the keyNewVersionCreated function that functions/ exports', async () => {
    const text = await resourceText('infra/eventSubscription.bicep', 'keyNewVersionCreated');
    expect(text).toContain("endpointType: 'AzureFunction'");
    const fn = /resourceId: '\$\{functionApp\.id\}\/functions\/([A-Za-z0-9_-]+)'/.exec(text)?.[1];
    expect(fn).toBe('keyNewVersionCreated');
    expect(exportedFunctionNames()).toContain(fn);
  });

  it('retries with a bounded policy and dead-letters to blob storage with the topic identity', async () => {
    const text = await resourceText('infra/eventSubscription.bicep', 'keyNewVersionCreated');
    expect(text).toMatch(/retryPolicy: \{\s+maxDeliveryAttempts: maxDeliveryAttempts\s+eventTimeToLiveInMinutes: eventTimeToLiveInMinutes/);
    expect(text).toMatch(/deadLetterWithResourceIdentity: \{\s+identity: \{\s+type: 'SystemAssigned'/);
    expect(text).toContain("endpointType: 'StorageBlob'");
    expect(text).not.toContain('deadLetterDestination: {\n      endpointType');
  });

  it('is deployed by the azd postdeploy hook, after the code', () => {
    const yaml = readRepoFile('azure.yaml');
    const postdeploy = yaml.slice(yaml.indexOf('  postdeploy:'));
    expect(postdeploy).toMatch(/posix:\s+shell: sh\s+run: \.\/infra\/hooks\/postdeploy\.sh\n/);
    expect(postdeploy).toMatch(/windows:\s+shell: pwsh\s+run: \.\/infra\/hooks\/postdeploy\.ps1\n/);
    for (const hook of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      expect(readRepoFile(hook)).toContain('infra/eventSubscription.bicep');
    }
    expect(readRepoFile('infra/main.bicep')).not.toContain('eventSubscriptions@');
  });

  it('resolves the function app and the dead-letter storage in the app resource group, wherever the topic lives', async () => {
    const sub = readRepoFile('infra/eventSubscription.bicep');
    expect(sub).toContain("param appResourceGroupName string = resourceGroup().name");
    for (const symbol of ['functionApp', 'storage']) {
      expect(await resourceText('infra/eventSubscription.bicep', symbol)).toContain('scope: resourceGroup(appResourceGroupName)');
    }
  });
});

describe('Existing Event Grid system topic', () => {
  it('is a pair of main.bicep parameters, empty by default, fed by azd variables', () => {
    const main = readRepoFile('infra/main.bicep');
    expect(main).toContain("param existingSystemTopicName string = ''");
    expect(main).toContain("param existingSystemTopicResourceGroupName string = ''");
    const params = readRepoFile('infra/main.parameters.json');
    expect(params).toContain('"value": "${EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME=}"');
    expect(params).toContain('"value": "${EVENT_GRID_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP=}"');
    // An empty resource group means the vault's.
    const module = main.slice(main.indexOf("module eventGridTopic"));
    expect(module).toContain('existingTopicName: existingSystemTopicName');
    expect(module).toMatch(/existingTopicResourceGroupName: empty\(existingSystemTopicResourceGroupName\)\s+\? tdeKeyVault\.resourceGroupName\s+: existingSystemTopicResourceGroupName/);
  });

  it('creates a topic only when none is named, and references the named one in its own resource group', async () => {
    const created = await resourceText('infra/modules/eventGridTopic.bicep', 'systemTopic');
    expect(created).toContain('= if (!useExistingTopic) {');
    expect(created).toContain("topicType: 'Microsoft.KeyVault.vaults'");
    const existing = await resourceText('infra/modules/eventGridTopic.bicep', 'existingTopic');
    expect(existing).toContain('existing = if (useExistingTopic) {');
    expect(existing).toContain('scope: resourceGroup(existingTopicResourceGroupName)');
    const text = readRepoFile('infra/modules/eventGridTopic.bicep');
    expect(text).toContain('var useExistingTopic = !empty(existingTopicName)');
    expect(text).toContain('var topicPrincipalId = useExistingTopic ? existingTopic.identity.principalId : systemTopic.identity.principalId');
    expect(await resourceText('infra/modules/eventGridTopic.bicep', 'deadLetterWriter')).toContain('principalId: topicPrincipalId');
  });

  it('tells the postdeploy hook where the topic is', () => {
    const main = readRepoFile('infra/main.bicep');
    expect(main).toContain('output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGridTopic.outputs.NAME');
    expect(main).toContain('output EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP string = eventGridTopic.outputs.RESOURCE_GROUP_NAME');
    const module = readRepoFile('infra/modules/eventGridTopic.bicep');
    expect(module).toContain('output NAME string = useExistingTopic ? existingTopicName : name');
    expect(module).toContain('output RESOURCE_GROUP_NAME string = useExistingTopic ? existingTopicResourceGroupName : resourceGroup().name');
    for (const hook of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      expect(readRepoFile(hook)).toContain('EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP');
    }
  });
});

describe('Service Bus queues', () => {
  it('turns on duplicate detection, bounds deliveries and dead-letters expired work items', async () => {
    const text = await resourceText('infra/modules/serviceBus.bicep', 'namespace');
    expect(text).toContain('disableLocalAuth: true');
    const work = text.slice(text.indexOf("resource work 'queues'"), text.indexOf("resource failure 'queues'"));
    expect(work).toContain('requiresDuplicateDetection: true');
    expect(work).toContain('duplicateDetectionHistoryTimeWindow: workQueue.duplicateDetectionWindow');
    expect(work).toContain('maxDeliveryCount: workQueue.maxDeliveryCount');
    expect(work).toContain('lockDuration: workQueue.lockDuration');
    expect(work).toContain('deadLetteringOnMessageExpiration: true');
    const failure = text.slice(text.indexOf("resource failure 'queues'"));
    expect(failure).toContain('deadLetteringOnMessageExpiration: true');
    // A redelivered item that dead-letters again must not leave a second failure record.
    expect(failure).toContain('requiresDuplicateDetection: true');
  });

  it('makes the work queue session-enabled (one worker per server) and leaves the failure queue without sessions', async () => {
    const text = await resourceText('infra/modules/serviceBus.bicep', 'namespace');
    const work = text.slice(text.indexOf("resource work 'queues'"), text.indexOf("resource failure 'queues'"));
    expect(work).toContain('requiresSession: true');
    expect(work).not.toContain('requiresSession: false');
    const failure = text.slice(text.indexOf("resource failure 'queues'"));
    expect(failure).toContain('requiresSession: false');
  });

  it('defaults to the queue names and window the app expects', () => {
    const main = readRepoFile('infra/main.bicep');
    expect(main).toContain(`param workQueueName string = '${DEFAULT_QUEUE_NAME}'`);
    expect(main).toContain(`param failureQueueName string = '${DEFAULT_FAILURE_QUEUE_NAME}'`);
    expect(main).toContain(`param syncAgentRotationSchedule string = '${DEFAULT_SYNC_AGENT_SCHEDULE}'`);
    expect(main).toMatch(/duplicateDetectionWindow: 'P1D'\s/);
    expect(main).toMatch(/maxDeliveryCount: 10\s/);
    expect(main).toMatch(/lockDuration: 'PT5M'\s/);
  });
});

describe('Role assignments', () => {
  const expected: Record<string, { role: string; scope: string }> = {
    'infra/modules/rbac/appResourceRoles.bicep#storageBlobOwner': { role: `roles.storageBlobDataOwner`, scope: 'storage' },
    'infra/modules/rbac/appResourceRoles.bicep#workQueueReceiver': { role: 'roles.serviceBusDataReceiver', scope: 'namespace::work' },
    'infra/modules/rbac/appResourceRoles.bicep#workQueueSender': { role: 'roles.serviceBusDataSender', scope: 'namespace::work' },
    'infra/modules/rbac/appResourceRoles.bicep#workQueueScaleMetricsReader': { role: 'roles.serviceBusDataOwner', scope: 'namespace::work' },
    'infra/modules/rbac/appResourceRoles.bicep#failureQueueSender': { role: 'roles.serviceBusDataSender', scope: 'namespace::failure' },
    'infra/modules/rbac/appResourceRoles.bicep#metricsPublisher': { role: 'roles.monitoringMetricsPublisher', scope: 'applicationInsights' },
    'infra/modules/eventGridTopic.bicep#deadLetterWriter': { role: 'storageBlobDataContributor', scope: 'storage::blobService::deadLetterContainer' },
    'infra/modules/rbac/keyVaultRoleAssignment.bicep#assignment': { role: 'roleDefinitionId', scope: 'vault' },
    // Scoped by deployment: the module is deployed at each SQL resource group.
    'infra/modules/rbac/resourceGroupRoleAssignment.bicep#assignment': { role: 'roleDefinitionId', scope: '' },
  };

  it('are exactly the expected ones', async () => {
    const found = (await roleAssignments()).map((r) => `${r.file}#${r.symbol}`).sort();
    expect(found).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s uses its role, its scope and a guid() name', async (key, { role, scope }) => {
    const [file, symbol] = key.split('#') as [string, string];
    const text = await resourceText(file, symbol);
    expect(text).toMatch(/\n {2}name: guid\(/);
    expect(text).toContain('principalId: ');
    expect(text).toContain("principalType: 'ServicePrincipal'");
    const roleExpr = /roleDefinitionId: (.+)\n/.exec(text)?.[1];
    expect(roleExpr).toContain(role);
    if (scope === '') expect(text).not.toMatch(/\n {2}scope: /);
    else expect(text).toContain(`\n  scope: ${scope}\n`);
    // The guid() seeds include the scope, the principal and the role, so a changed role gets a new assignment.
    const seeds = /name: guid\((.+)\)\n/.exec(text)?.[1] ?? '';
    // The principal: its id, or (for an identity created in the same deployment, whose principalId is unknown when
    // the name is computed) the id of the resource that owns it.
    expect(seeds).toMatch(/principalId|topicId/);
    expect(seeds).toContain(role === 'roleDefinitionId' ? 'roleDefinitionId' : role);
  });

  it('maps each role name to its published built-in GUID', () => {
    const app = readRepoFile('infra/modules/rbac/appResourceRoles.bicep');
    expect(app).toContain(`storageBlobDataOwner: '${BUILT_IN.storageBlobDataOwner}'`);
    expect(app).toContain(`serviceBusDataSender: '${BUILT_IN.serviceBusDataSender}'`);
    expect(app).toContain(`serviceBusDataReceiver: '${BUILT_IN.serviceBusDataReceiver}'`);
    expect(app).toContain(`serviceBusDataOwner: '${BUILT_IN.serviceBusDataOwner}'`);
    expect(app).toContain(`monitoringMetricsPublisher: '${BUILT_IN.monitoringMetricsPublisher}'`);
    expect(readRepoFile('infra/modules/eventGridTopic.bicep')).toContain(
      `var storageBlobDataContributor = '${BUILT_IN.storageBlobDataContributor}'`,
    );
    expect(readRepoFile('infra/main.bicep')).toContain(`var keyVaultSecretsOfficer = '${BUILT_IN.keyVaultSecretsOfficer}'`);
  });

  it('gives the TDE vault the key-metadata reader and the sync agent vaults Key Vault Secrets Officer', () => {
    const main = readRepoFile('infra/main.bicep');
    const tde = main.slice(main.indexOf("module tdeVaultAssignment"), main.indexOf('// Sync agent vaults'));
    expect(tde).toContain('scope: tdeVaultResourceGroup');
    expect(tde).toContain('vaultName: tdeKeyVault.name');
    expect(tde).toContain('roleDefinitionId: tdeKeyReaderRole.outputs.ROLE_DEFINITION_ID');
    const sync = main.slice(main.indexOf('module syncAgentVaultAssignments'), main.indexOf('// SQL servers'));
    expect(sync).toContain('for vault in syncAgentVaults');
    expect(sync).toContain('vaultName: vault.name');
    expect(sync).toContain("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)");
    const sql = main.slice(main.indexOf('module sqlAssignments'));
    expect(sql).toContain('for name in sqlResourceGroupNames');
    expect(sql).toContain('scope: resourceGroup(name)');
    expect(sql).toContain('sqlRotationRole.?outputs.ROLE_DEFINITION_ID');
  });

  it('grants Azure Service Bus Data Owner only on the work queue, for the scale controller, and lets it be turned off', async () => {
    const all = bicepFiles().map((f) => ({ f, text: readRepoFile(f) }));
    expect(all.filter(({ text }) => text.includes(BUILT_IN.serviceBusDataOwner)).map(({ f }) => f)).toEqual([
      'infra/modules/rbac/appResourceRoles.bicep',
    ]);
    const owners = (await roleAssignments()).filter((r) => r.text.includes('roles.serviceBusDataOwner'));
    expect(owners.map((r) => r.symbol)).toEqual(['workQueueScaleMetricsReader']);
    expect(owners[0]!.text).toContain('= if (grantScaleMetricsRead) {');
    expect(owners[0]!.text).toContain('\n  scope: namespace::work\n');
    expect(readRepoFile('infra/main.bicep')).toContain('param serviceBusScaleMetricsAccess bool = true');
    expect(readRepoFile('infra/main.bicep')).toContain('grantScaleMetricsRead: serviceBusScaleMetricsAccess');
  });

  it('never grants SQL Server Contributor or any broad built-in role', () => {
    const all = bicepFiles().map(readRepoFile).join('\n');
    // SQL Server Contributor, Contributor, Owner, Key Vault Administrator.
    for (const broad of [
      '6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437',
      'b24988ac-6180-42a0-ab88-20f7382dd24c',
      '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
      '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    ]) {
      expect(all).not.toContain(broad);
    }
  });
});

describe('Custom roles', () => {
  function quotedList(text: string, key: string): string[] {
    const body = new RegExp(`${key} \\[([^\\]]*)\\]`).exec(text)?.[1] ?? '';
    return [...body.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
  }

  it('lets the SQL rotation role do exactly the rotation operations of servers, managed instances and databases, and their polling', () => {
    const text = readRepoFile('infra/modules/rbac/sqlRotationRole.bicep');
    expect(quotedList(text, 'var actions =')).toEqual(
      [
        'Microsoft.Sql/servers/read',
        'Microsoft.Sql/servers/keys/read',
        'Microsoft.Sql/servers/keys/write',
        'Microsoft.Sql/servers/encryptionProtector/read',
        'Microsoft.Sql/servers/encryptionProtector/write',
        'Microsoft.Sql/servers/syncAgents/read',
        'Microsoft.Sql/servers/syncAgents/generateKey/action',
        'Microsoft.Sql/locations/serverKeyAzureAsyncOperation/read',
        'Microsoft.Sql/locations/serverKeyOperationResults/read',
        'Microsoft.Sql/locations/encryptionProtectorAzureAsyncOperation/read',
        'Microsoft.Sql/locations/encryptionProtectorOperationResults/read',
        'Microsoft.Sql/managedInstances/read',
        'Microsoft.Sql/managedInstances/keys/read',
        'Microsoft.Sql/managedInstances/keys/write',
        'Microsoft.Sql/managedInstances/encryptionProtector/read',
        'Microsoft.Sql/managedInstances/encryptionProtector/write',
        'Microsoft.Sql/locations/managedInstanceKeyAzureAsyncOperation/read',
        'Microsoft.Sql/locations/managedInstanceKeyOperationResults/read',
        'Microsoft.Sql/locations/managedInstanceEncryptionProtectorAzureAsyncOperation/read',
        'Microsoft.Sql/locations/managedInstanceEncryptionProtectorOperationResults/read',
        'Microsoft.Sql/servers/databases/read',
        'Microsoft.Sql/servers/databases/write',
        'Microsoft.Sql/locations/databaseAzureAsyncOperation/read',
        'Microsoft.Sql/locations/databaseOperationResults/read',
      ].sort(),
    );
    expect(text).toMatch(/dataActions: \[\]/);
    expect(text).toContain("assignableScopes: [for rg in resourceGroupNames: '${subscription().id}/resourceGroups/${rg}']");
  });

  it('lets the TDE key reader role read keys and nothing else', () => {
    const text = readRepoFile('infra/modules/rbac/vaultKeyReaderRole.bicep');
    expect(quotedList(text, 'dataActions:')).toEqual(['Microsoft.KeyVault/vaults/keys/read']);
    expect(text).toMatch(/\n {8}actions: \[\]/);
  });
});

describe('Outputs and secrets', () => {
  it('sees the declarations of main.bicep in the parse tree', async () => {
    const tree = (await bicepParser()).parse(readRepoFile('infra/main.bicep'))!;
    expect(declarations(tree, 'output_declaration').length).toBeGreaterThanOrEqual(10);
    expect(declarations(tree, 'parameter_declaration').length).toBeGreaterThanOrEqual(10);
  });

  it.each(bicepFiles())('%s outputs no secret, with UPPER_SNAKE names and a description', async (file) => {
    const tree = (await bicepParser()).parse(readRepoFile(file))!;
    for (const { node, decorators } of declarations(tree, 'output_declaration')) {
      const name = node.namedChildren[0]!.text;
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(name).not.toMatch(/SECRET|PASSWORD|CONNECTION_STRING|ACCOUNT_KEY|_KEY$/);
      expect(node.text).not.toMatch(/listKeys|listConnectionStrings|connectionString|password|secret|primaryKey|accountKey/i);
      expect(decorators).toContain('@description(');
      expect(decorators).not.toContain('@secure');
    }
  });

  it.each(bicepFiles())('%s describes every parameter', async (file) => {
    const tree = (await bicepParser()).parse(readRepoFile(file))!;
    for (const { node, decorators } of declarations(tree, 'parameter_declaration')) {
      expect(decorators, `${file}: param ${node.namedChildren[0]!.text}`).toContain('@description(');
    }
  });

  it('uses no key, SAS or listKeys() anywhere in infra', () => {
    const all = bicepFiles().map(readRepoFile).join('\n');
    expect(all).not.toMatch(/listKeys\(|listConnectionStrings|AccountKey=|SharedAccessKey|primaryConnectionString/);
    expect(all).not.toMatch(/\bmodule\s+\w+\s+'[^']+'\s*=\s*[^\n]*\{\s*\n\s*name:/);
  });
});

describe('App settings', () => {
  it('include every setting the app and its triggers read, identity-based', async () => {
    const text = await resourceText('infra/modules/functionApp.bicep', 'functionApp');
    const settings = text.slice(text.indexOf("resource appSettings 'config'"));
    for (const name of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      'AZURE_CLIENT_ID',
      `${SERVICE_BUS_CONNECTION}__fullyQualifiedNamespace`,
      QUEUE_NAME_SETTING,
      'ROTATION_FAILURE_QUEUE_NAME',
      SYNC_AGENT_SCHEDULE_SETTING,
      RECONCILE_SCHEDULE_SETTING,
      'ROTATION_CONFIG',
    ]) {
      expect(settings).toMatch(new RegExp(`\\n {6}${name}: `));
    }
    expect(settings).toContain("AzureWebJobsStorage__credential: 'managedidentity'");
    expect(settings).toContain("APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'");
    expect(settings).not.toMatch(/\n {6}AzureWebJobsStorage: /);
    expect(settings).not.toMatch(/FUNCTIONS_WORKER_RUNTIME|FUNCTIONS_EXTENSION_VERSION/);
  });

  it('runs on Flex Consumption with the node runtime and deploys with the identity', async () => {
    const plan = await resourceText('infra/modules/functionApp.bicep', 'plan');
    expect(plan).toContain("name: 'FC1'");
    expect(plan).toContain("tier: 'FlexConsumption'");
    const app = await resourceText('infra/modules/functionApp.bicep', 'functionApp');
    expect(app).toMatch(/runtime: \{\s+name: 'node'\s+version: nodeVersion/);
    expect(app).toMatch(/authentication: \{\s+type: 'UserAssignedIdentity'/);
    expect(readRepoFile('infra/main.bicep')).toMatch(/param nodeVersion string = '22'\n/);
    expect(readRepoFile('infra/main.parameters.json')).toContain('"value": "${FUNCTIONS_NODE_VERSION=22}"');
    expect(readRepoFile('infra/modules/storage.bicep')).toContain('allowSharedKeyAccess: false');
    expect(readRepoFile('infra/modules/monitoring.bicep')).toContain('DisableLocalAuth: true');
  });

  it('sets RECONCILE_SCHEDULE beside SYNC_AGENT_ROTATION_SCHEDULE, hourly by default', async () => {
    const text = await resourceText('infra/modules/functionApp.bicep', 'functionApp');
    expect(text).toMatch(/SYNC_AGENT_ROTATION_SCHEDULE: syncAgentRotationSchedule\n\s+RECONCILE_SCHEDULE: reconcileSchedule\n/);
    const main = readRepoFile('infra/main.bicep');
    expect(main).toContain(`param reconcileSchedule string = '${DEFAULT_RECONCILE_SCHEDULE}'`);
    expect(main).toContain('reconcileSchedule: reconcileSchedule');
    expect(readRepoFile('infra/main.parameters.json')).toContain(`"value": "\${RECONCILE_SCHEDULE=${DEFAULT_RECONCILE_SCHEDULE}}"`);
  });

  it('keeps the trigger names the functions use', () => {
    expect(SERVICE_BUS_CONNECTION).toBe('ServiceBusConnection');
    expect(QUEUE_NAME_SETTING).toBe('ROTATION_QUEUE_NAME');
    expect(SYNC_AGENT_SCHEDULE_SETTING).toBe('SYNC_AGENT_ROTATION_SCHEDULE');
    expect(RECONCILE_SCHEDULE_SETTING).toBe('RECONCILE_SCHEDULE');
    expect(DEFAULT_RECONCILE_SCHEDULE).toBe('0 0 * * * *');
  });
});

describe('azd', () => {
  it('substitutes the environment name and location into the parameters', () => {
    const params = readRepoFile('infra/main.parameters.json');
    expect(params).toContain('"value": "${AZURE_ENV_NAME}"');
    expect(params).toContain('"value": "${AZURE_LOCATION}"');
    // After azd's substitution (defaults applied) the file is JSON naming only parameters main.bicep declares.
    const substituted = params.replace(/\$\{[A-Z_]+(?:=([^}]*))?\}/g, (_m, def: string | undefined) => def ?? 'x');
    const names = Object.keys((JSON.parse(substituted) as { parameters: object }).parameters);
    const main = readRepoFile('infra/main.bicep');
    for (const n of names) expect(main).toMatch(new RegExp(`\\nparam ${n} `));
  });

  it('deploys the bundle as a function service', () => {
    const yaml = readRepoFile('azure.yaml');
    expect(yaml).toMatch(/host: function\n/);
    expect(yaml).toMatch(/dist: dist-bundle\n/);
    expect(yaml).toContain('node scripts/bundle.mjs');
  });
});

describe('host.json', () => {
  interface HostJson {
    logging: { logLevel: Record<string, string> };
    extensions: { serviceBus: Record<string, unknown> };
  }
  const host = (): HostJson => JSON.parse(readRepoFile('host.json')) as HostJson;

  it('sends invocation results to Application Insights', () => {
    expect(host().logging.logLevel['Host.Results']).toBe('Information');
  });

  it('lets an idle session go within seconds and bounds sessions and calls', () => {
    const sb = host().extensions.serviceBus;
    expect(sb.sessionIdleTimeout).toBe('00:00:05');
    // 10 writes/s of 10 s operations: ~100 in flight, each target holding its session ~21 s (README, sizing).
    expect(sb.maxConcurrentSessions).toBe(250);
    // Still the bound for a non-session trigger.
    expect(sb.maxConcurrentCalls).toBe(8);
  });
});

describe('Managed HSM', () => {
  /** Managed HSM Crypto Auditor, from Microsoft's "Local RBAC built-in roles for Managed HSM" table. */
  const CRYPTO_AUDITOR = '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3';

  it('is an optional main.bicep parameter whose keys reach the postdeploy hook', () => {
    const main = readRepoFile('infra/main.bicep');
    expect(main).toMatch(/param tdeManagedHsm ManagedHsmKeys = \{\s+name: ''\s+keyNames: \[\]\s+\}/);
    expect(main).toContain(`param managedHsmRoleDefinitionId string = '${CRYPTO_AUDITOR}'`);
    expect(main).toContain('output MANAGED_HSM_NAME string = tdeManagedHsm.name');
    expect(main).toContain("output MANAGED_HSM_KEY_NAMES string = join(tdeManagedHsm.keyNames, ' ')");
    expect(main).toContain('output MANAGED_HSM_ROLE_ID string = managedHsmRoleDefinitionId');
    const params = readRepoFile('infra/main.parameters.json');
    expect(params).toContain('"name": "${TDE_MANAGED_HSM_NAME=}"');
    expect(params).toContain('"keyNames": ${TDE_MANAGED_HSM_KEY_NAMES=[]}');
    expect(params).toContain(`"value": "\${TDE_MANAGED_HSM_ROLE_ID=${CRYPTO_AUDITOR}}"`);
  });

  it('defaults to the read-only built-in role in both hooks', () => {
    for (const hook of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      const text = readRepoFile(hook);
      expect(text).toContain(CRYPTO_AUDITOR);
      expect(text).toContain('keyvault');
      expect(text).toMatch(/'?--hsm-name'?/);
      expect(text).toContain('/keys/$key');
      // Never the Crypto User role (encrypt, decrypt, sign, delete...).
      expect(text).not.toContain('21dbd100-6940-42c2-9190-5d6cb909625b');
    }
  });

  it('passes event subscription parameters in a file from the Windows hook too', () => {
    const ps = readRepoFile('infra/hooks/postdeploy.ps1');
    expect(ps).toContain("'--parameters', \"@$paramsFile\"");
    expect(ps).toContain('ConvertTo-Json -InputObject $parameters');
    expect(ps).not.toMatch(/keyNames=/);
  });
});
