import { ScaleSettings } from 'types.bicep'

// The Function App on Flex Consumption (FC1). It runs as the user-assigned identity everywhere: deployment package
// download, host storage, Service Bus trigger, Application Insights and the SDK clients (AZURE_CLIENT_ID).

@description('Name of the Function App.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the resources; the app also gets azd-service-name.')
param tags object

@description('azd service name (azure.yaml) this app is deployed as.')
param serviceName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Name of the storage account (host storage and deployment container).')
param storageAccountName string

@description('Name of the blob container Flex Consumption deploys from.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Node.js major version of the Flex Consumption runtime.')
@allowed([
  '20'
  '22'
])
param nodeVersion string

@description('Flex Consumption scale settings.')
param scale ScaleSettings

@description('Fully qualified Service Bus namespace, e.g. sb-x.servicebus.windows.net.')
param serviceBusFullyQualifiedNamespace string

@description('Work queue name (ROTATION_QUEUE_NAME).')
param workQueueName string

@description('Failure queue name (ROTATION_FAILURE_QUEUE_NAME).')
param failureQueueName string

@description('NCRONTAB schedule of the sync-agent key rotation timer (SYNC_AGENT_ROTATION_SCHEDULE).')
param syncAgentRotationSchedule string

@description('NCRONTAB schedule of the reconcileKeys timer (RECONCILE_SCHEDULE).')
param reconcileSchedule string

@description('Rotation configuration (ROTATION_CONFIG): inline JSON, see src/config/appConfig.ts. Holds identifiers only, no secret.')
param rotationConfig string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: scale.maximumInstanceCount
        instanceMemoryMB: scale.instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }

  // Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION app settings: the runtime comes
  // from functionAppConfig.runtime above.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage through the identity (no AzureWebJobsStorage connection string, no account key).
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // Application Insights with Entra authentication (local auth is disabled on the component).
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // DefaultAzureCredential in the app picks the user-assigned identity.
      AZURE_CLIENT_ID: identityClientId
      // Service Bus trigger connection `ServiceBusConnection` and the app's own sender, identity-based.
      ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
      ServiceBusConnection__credential: 'managedidentity'
      ServiceBusConnection__clientId: identityClientId
      ROTATION_QUEUE_NAME: workQueueName
      ROTATION_FAILURE_QUEUE_NAME: failureQueueName
      SYNC_AGENT_ROTATION_SCHEDULE: syncAgentRotationSchedule
      RECONCILE_SCHEDULE: reconcileSchedule
      ROTATION_CONFIG: rotationConfig
    }
  }
}

@description('Name of the Function App.')
output NAME string = functionApp.name

@description('Resource id of the Function App.')
output ID string = functionApp.id

@description('Default host name of the Function App.')
output DEFAULT_HOST_NAME string = functionApp.properties.defaultHostName
