// SQL TDE key rotation: a Function App on Flex Consumption, its identity and least-privilege roles, Service Bus,
// Application Insights, and an Event Grid system topic on the existing TDE Key Vault (or its existing one).
// Deployed by `azd up`; the Event Grid subscription follows in the postdeploy hook (infra/eventSubscription.bicep).
targetScope = 'subscription'

import { ExistingVault, ManagedHsmKeys, ScaleSettings, WorkQueueSettings } from 'modules/types.bicep'

@description('azd environment name; names and tags every resource.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Region of the resource group and of everything but the system topic (which follows the vault).')
@minLength(1)
param location string

@description('Name of the resource group to create; empty derives rg-{environmentName}.')
param resourceGroupName string = ''

@description('The existing Key Vault holding the TDE keys (RBAC permission model). Its keys are read, never changed.')
param tdeKeyVault ExistingVault

@description('Names of the TDE keys in that vault whose new versions trigger a rotation; empty means every key.')
param tdeKeyNames string[] = []

@description('Name of an existing Event Grid system topic on the TDE vault (a vault can have only one); empty creates one. It must have a system-assigned identity (it writes the dead letters).')
param existingSystemTopicName string = ''

@description('Resource group of that existing system topic (this subscription); empty means the TDE vault\'s resource group.')
param existingSystemTopicResourceGroupName string = ''

@description('Managed HSM keys protecting SQL servers (converged by the reconcileKeys timer: Managed HSM publishes no events). The postdeploy hook assigns managedHsmRoleDefinitionId to the app identity on each key, with the HSM\'s local RBAC.')
param tdeManagedHsm ManagedHsmKeys = {
  name: ''
  keyNames: []
}

@description('Managed HSM local RBAC role the postdeploy hook assigns on each HSM key. Default: Managed HSM Crypto Auditor (reads key attributes, uses no key). A custom local role with only Microsoft.KeyVault/managedHsm/keys/read/action is narrower still: see docs/deploy.md.')
param managedHsmRoleDefinitionId string = '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3'

@description('Existing Key Vaults (RBAC permission model) that receive sync agent keys as secrets; empty: no sync-agent rotation.')
param syncAgentVaults ExistingVault[] = []

@description('Resource groups (in this subscription) holding the SQL servers to rotate; the custom SQL role is assigned on each.')
param sqlResourceGroupNames string[] = []

@description('Rotation configuration (app setting ROTATION_CONFIG): JSON as described in src/config/appConfig.ts. Identifiers only, no secret. Defaults to infra/rotation-config.json.')
param rotationConfig string = loadTextContent('rotation-config.json')

@description('NCRONTAB schedule of the sync agent key rotation (six fields, UTC).')
param syncAgentRotationSchedule string = '0 0 3 * * 0'

@description('NCRONTAB schedule of the reconcileKeys timer (six fields, UTC): finds drifting targets of every configured key, Key Vault and Managed HSM.')
param reconcileSchedule string = '0 0 * * * *'

@description('Node.js major version of the Flex Consumption runtime. 22 by default (Node 20 reached end of life on 2026-04-30); the bundle targets node20, so CI and development machines on Node 20 build what 22 runs.')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Let the scale controller read the work queue\'s message count for target-based scaling (Azure Service Bus Data Owner on that queue only). False: scaling falls back to peeking one message.')
param serviceBusScaleMetricsAccess bool = true

@description('Flex Consumption scale settings.')
param scale ScaleSettings = {
  maximumInstanceCount: 40
  instanceMemoryMB: 2048
}

@description('Service Bus work queue settings.')
param workQueue WorkQueueSettings = {
  // Event Grid redelivers for up to 24 h (eventTimeToLiveInMinutes 1440): a copy arriving within a day is dropped.
  duplicateDetectionWindow: 'P1D'
  // The app reschedules with its own backoff; a message is redelivered by the broker only after a crash or a throw.
  maxDeliveryCount: 10
  lockDuration: 'PT5M'
  messageTimeToLive: 'P14D'
}

@description('Name of the work queue.')
param workQueueName string = 'sql-key-rotation'

@description('Name of the failure queue.')
param failureQueueName string = 'sql-key-rotation-failures'

var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var serviceName = 'api'
var deploymentContainerName = 'app-package-${take(resourceToken, 8)}'
var deadLetterContainerName = 'eventgrid-deadletter'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

resource tdeVaultResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' existing = {
  name: tdeKeyVault.resourceGroupName
}

resource tdeVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: tdeKeyVault.name
  scope: tdeVaultResourceGroup
}

module identity 'modules/identity.bicep' = {
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    workQueueName: workQueueName
    failureQueueName: failureQueueName
    workQueue: workQueue
  }
}

module appRoles 'modules/rbac/appResourceRoles.bicep' = {
  scope: rg
  params: {
    principalId: identity.outputs.PRINCIPAL_ID
    storageAccountName: storage.outputs.NAME
    serviceBusNamespaceName: serviceBus.outputs.NAME
    workQueueName: serviceBus.outputs.WORK_QUEUE_NAME
    failureQueueName: serviceBus.outputs.FAILURE_QUEUE_NAME
    applicationInsightsName: monitoring.outputs.APPLICATION_INSIGHTS_NAME
    grantScaleMetricsRead: serviceBusScaleMetricsAccess
  }
}

module functionApp 'modules/functionApp.bicep' = {
  scope: rg
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.ID
    identityClientId: identity.outputs.CLIENT_ID
    storageAccountName: storage.outputs.NAME
    deploymentContainerName: storage.outputs.DEPLOYMENT_CONTAINER_NAME
    applicationInsightsName: monitoring.outputs.APPLICATION_INSIGHTS_NAME
    nodeVersion: nodeVersion
    scale: scale
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.FULLY_QUALIFIED_NAMESPACE
    workQueueName: serviceBus.outputs.WORK_QUEUE_NAME
    failureQueueName: serviceBus.outputs.FAILURE_QUEUE_NAME
    syncAgentRotationSchedule: syncAgentRotationSchedule
    reconcileSchedule: reconcileSchedule
    rotationConfig: rotationConfig
  }
  // The host starts pulling the package and reading storage as soon as the app exists.
  dependsOn: [
    appRoles
  ]
}

module eventGridTopic 'modules/eventGridTopic.bicep' = {
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    vaultId: tdeVault.id
    vaultLocation: tdeVault.location
    tags: tags
    storageAccountName: storage.outputs.NAME
    deadLetterContainerName: storage.outputs.DEAD_LETTER_CONTAINER_NAME
    existingTopicName: existingSystemTopicName
    existingTopicResourceGroupName: empty(existingSystemTopicResourceGroupName)
      ? tdeKeyVault.resourceGroupName
      : existingSystemTopicResourceGroupName
  }
}

// TDE vault: read key properties for the pre-flight, nothing more (custom role, see the module).
module tdeKeyReaderRole 'modules/rbac/vaultKeyReaderRole.bicep' = {
  params: {
    roleName: 'TDE Key Metadata Reader (${environmentName})'
    vaultResourceGroupName: tdeKeyVault.resourceGroupName
    seed: environmentName
  }
}

module tdeVaultAssignment 'modules/rbac/keyVaultRoleAssignment.bicep' = {
  scope: tdeVaultResourceGroup
  params: {
    vaultName: tdeKeyVault.name
    principalId: identity.outputs.PRINCIPAL_ID
    roleDefinitionId: tdeKeyReaderRole.outputs.ROLE_DEFINITION_ID
    assignmentDescription: 'Pre-flight read of new TDE key versions (enabled, type, expiry).'
  }
}

// Sync agent vaults: Key Vault Secrets Officer, on each listed vault only.
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

module syncAgentVaultAssignments 'modules/rbac/keyVaultRoleAssignment.bicep' = [
  for vault in syncAgentVaults: {
    scope: resourceGroup(vault.resourceGroupName)
    params: {
      vaultName: vault.name
      principalId: identity.outputs.PRINCIPAL_ID
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
      assignmentDescription: 'Store regenerated sync agent keys as secrets and read their age.'
    }
  }
]

// SQL servers: the custom rotation role, assignable and assigned only on the listed resource groups.
module sqlRotationRole 'modules/rbac/sqlRotationRole.bicep' = if (!empty(sqlResourceGroupNames)) {
  params: {
    roleName: 'SQL TDE Key Rotation Operator (${environmentName})'
    resourceGroupNames: sqlResourceGroupNames
    seed: environmentName
  }
}

module sqlAssignments 'modules/rbac/resourceGroupRoleAssignment.bicep' = [
  for name in sqlResourceGroupNames: {
    scope: resourceGroup(name)
    params: {
      principalId: identity.outputs.PRINCIPAL_ID
      roleDefinitionId: sqlRotationRole.?outputs.ROLE_DEFINITION_ID ?? ''
      assignmentDescription: 'Add server keys, switch TDE protectors, regenerate sync agent keys.'
    }
  }
]

@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Azure region of the deployment.')
output AZURE_LOCATION string = location

@description('Name of the Function App (azd service api).')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.NAME

@description('Client id of the app identity (AZURE_CLIENT_ID in the app).')
output AZURE_CLIENT_ID string = identity.outputs.CLIENT_ID

@description('Principal id of the app identity, for extra role assignments.')
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.PRINCIPAL_ID

@description('Storage account of the host, the package and the dead-letter container.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.NAME

@description('Fully qualified Service Bus namespace.')
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.FULLY_QUALIFIED_NAMESPACE

@description('Work queue name.')
output ROTATION_QUEUE_NAME string = serviceBus.outputs.WORK_QUEUE_NAME

@description('Failure queue name.')
output ROTATION_FAILURE_QUEUE_NAME string = serviceBus.outputs.FAILURE_QUEUE_NAME

@description('Event Grid system topic on the TDE vault (the postdeploy hook subscribes the function to it).')
output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGridTopic.outputs.NAME

@description('Resource group of that system topic (the postdeploy hook deploys the subscription there).')
output EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP string = eventGridTopic.outputs.RESOURCE_GROUP_NAME

@description('Dead-letter container of the event subscription.')
output EVENT_GRID_DEAD_LETTER_CONTAINER string = storage.outputs.DEAD_LETTER_CONTAINER_NAME

@description('TDE key names filtered by the event subscription, as a JSON array (read by the postdeploy hook).')
output TDE_KEY_NAMES_JSON string = string(tdeKeyNames)

@description('Managed HSM holding TDE keys; empty: none (read by the postdeploy hook).')
output MANAGED_HSM_NAME string = tdeManagedHsm.name

@description('Managed HSM key names, space-separated (the postdeploy hook assigns the HSM role on each).')
output MANAGED_HSM_KEY_NAMES string = join(tdeManagedHsm.keyNames, ' ')

@description('Managed HSM local RBAC role definition the postdeploy hook assigns (name or id).')
output MANAGED_HSM_ROLE_ID string = managedHsmRoleDefinitionId
