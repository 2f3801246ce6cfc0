// Storage for the Functions host (identity-based AzureWebJobsStorage), the Flex Consumption deployment package and the
// Event Grid dead-letter container. Shared-key access is off: every client authenticates with Entra ID.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Blob container that Flex Consumption deploys the app package from.')
param deploymentContainerName string

@description('Blob container that receives Event Grid events that could not be delivered.')
param deadLetterContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

@description('Name of the storage account.')
output NAME string = storage.name

@description('Resource id of the storage account.')
output ID string = storage.id

@description('Blob endpoint of the storage account.')
output BLOB_ENDPOINT string = storage.properties.primaryEndpoints.blob

@description('Name of the deployment-package container.')
output DEPLOYMENT_CONTAINER_NAME string = storage::blobService::deploymentContainer.name

@description('Name of the Event Grid dead-letter container.')
output DEAD_LETTER_CONTAINER_NAME string = storage::blobService::deadLetterContainer.name
