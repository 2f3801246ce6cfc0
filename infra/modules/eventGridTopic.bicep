// Event Grid system topic on the existing TDE Key Vault. Its own system-assigned identity writes undeliverable events
// to the dead-letter container, and may write nowhere else. The event subscription to the function is deployed
// separately by the azd postdeploy hook (infra/eventSubscription.bicep), once the function exists.

@description('Name of the system topic.')
param name string

@description('The TDE Key Vault (an existing resource, possibly in another resource group).')
param vaultId string

@description('Region of the TDE Key Vault: a system topic lives in its source\'s region.')
param vaultLocation string

@description('Tags applied to the resource.')
param tags object

@description('Name of the storage account holding the dead-letter container.')
param storageAccountName string

@description('Name of the dead-letter container.')
param deadLetterContainerName string

// Storage Blob Data Contributor: write dead-lettered events as blobs.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: vaultLocation
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: vaultId
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

// Scoped to the one container, not the account.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetterContainer.id, systemTopic.id, storageBlobDataContributor)
  scope: storage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
    description: 'Event Grid system topic writes undeliverable Key Vault events to the dead-letter container.'
  }
}

@description('Name of the system topic.')
output NAME string = systemTopic.name
