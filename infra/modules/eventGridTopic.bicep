// Event Grid system topic on the existing TDE Key Vault: created here, or (a vault can have only one system topic)
// an existing one named by the caller. The topic's own system-assigned identity writes undeliverable events to the
// dead-letter container, and may write nowhere else. The event subscription to the function is deployed separately by
// the azd postdeploy hook (infra/eventSubscription.bicep), once the function exists.

@description('Name of the system topic to create (ignored when existingTopicName is set).')
param name string

@description('The TDE Key Vault (an existing resource, possibly in another resource group).')
param vaultId string

@description('Region of the TDE Key Vault: a system topic lives in its source\'s region.')
param vaultLocation string

@description('Tags applied to the created topic.')
param tags object

@description('Name of the storage account holding the dead-letter container.')
param storageAccountName string

@description('Name of the dead-letter container.')
param deadLetterContainerName string

@description('Name of an existing system topic on the TDE vault to use instead of creating one; empty creates `name`. It must have a system-assigned identity.')
param existingTopicName string = ''

@description('Resource group of the existing system topic (in this subscription).')
param existingTopicResourceGroupName string = ''

// Storage Blob Data Contributor: write dead-lettered events as blobs.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

var useExistingTopic = !empty(existingTopicName)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!useExistingTopic) {
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

resource existingTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = if (useExistingTopic) {
  name: existingTopicName
  scope: resourceGroup(existingTopicResourceGroupName)
}

// ARM evaluates only the branch of if() that the condition selects, so the absent topic is never read.
var topicId = useExistingTopic ? existingTopic.id : systemTopic.id
var topicPrincipalId = useExistingTopic ? existingTopic.identity.principalId : systemTopic.identity.principalId

// Scoped to the one container, not the account.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetterContainer.id, topicId, storageBlobDataContributor)
  scope: storage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Event Grid system topic writes undeliverable Key Vault events to the dead-letter container.'
  }
}

@description('Name of the system topic (created or existing).')
output NAME string = useExistingTopic ? existingTopicName : name

@description('Resource group of the system topic (the postdeploy hook deploys the event subscription there).')
output RESOURCE_GROUP_NAME string = useExistingTopic ? existingTopicResourceGroupName : resourceGroup().name
