// The app's one identity: a user-assigned managed identity, so that role assignments can be made before the app exists
// and survive its re-creation.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output ID string = identity.id

@description('Client id (AZURE_CLIENT_ID) of the identity.')
output CLIENT_ID string = identity.properties.clientId

@description('Object (principal) id of the identity, for role assignments.')
output PRINCIPAL_ID string = identity.properties.principalId

@description('Name of the identity.')
output NAME string = identity.name
