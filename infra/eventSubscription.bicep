// The Event Grid subscription of the keyNewVersionCreated function to the TDE Key Vault's system topic.
// Deployed by the azd postdeploy hook (infra/hooks/postdeploy.*), after the code: creating a subscription to an
// AzureFunction endpoint fails while the function does not exist yet. Deployed in the system topic's resource group,
// which is the app's unless an existing topic was named (existingSystemTopicName in main.bicep).
targetScope = 'resourceGroup'

@description('Name of the Event Grid system topic on the TDE Key Vault (output EVENT_GRID_SYSTEM_TOPIC_NAME).')
param systemTopicName string

@description('Name of the Function App (output AZURE_FUNCTION_APP_NAME).')
param functionAppName string

@description('Resource group of the Function App and the storage account (output AZURE_RESOURCE_GROUP); defaults to this deployment\'s.')
param appResourceGroupName string = resourceGroup().name

@description('Name of the storage account holding the dead-letter container (output AZURE_STORAGE_ACCOUNT_NAME).')
param storageAccountName string

@description('Name of the dead-letter container (output EVENT_GRID_DEAD_LETTER_CONTAINER).')
param deadLetterContainerName string

@description('Key names (event subjects) to deliver; empty delivers new versions of every key in the vault.')
param keyNames string[] = []

@description('Delivery attempts before an event is dead-lettered (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an event is retried before it is dead-lettered (1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
  scope: resourceGroup(appResourceGroupName)
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
  scope: resourceGroup(appResourceGroupName)
}

resource keyNewVersionCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'keyNewVersionCreated'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/keyNewVersionCreated'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.KeyNewVersionCreated'
      ]
      // The subject of a Key Vault event is the object (key) name.
      advancedFilters: empty(keyNames)
        ? []
        : [
            {
              operatorType: 'StringIn'
              key: 'subject'
              values: keyNames
            }
          ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('Name of the event subscription.')
output EVENT_SUBSCRIPTION_NAME string = keyNewVersionCreated.name
