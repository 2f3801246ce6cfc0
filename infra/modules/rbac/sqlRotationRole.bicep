// Custom role for the rotation identity on Azure SQL logical servers, offered instead of the broad built-in
// `SQL Server Contributor`: read servers (discovery), add server keys, switch the TDE protector, regenerate sync agent
// keys, and poll the long-running server-key and protector operations (Azure-AsyncOperation / Location URLs live
// under /resourceGroups/{rg}/providers/Microsoft.Sql/locations/{region}/...).
targetScope = 'subscription'

@description('Role name, unique in the tenant.')
param roleName string

@description('Resource groups (in this subscription) holding the SQL servers; the role is assignable only there.')
@minLength(1)
param resourceGroupNames string[]

@description('Seed of the role definition GUID (keep stable across deployments).')
param seed string

var actions = [
  'Microsoft.Sql/servers/read'
  'Microsoft.Sql/servers/keys/read'
  'Microsoft.Sql/servers/keys/write'
  'Microsoft.Sql/servers/encryptionProtector/read'
  'Microsoft.Sql/servers/encryptionProtector/write'
  'Microsoft.Sql/servers/syncAgents/read'
  'Microsoft.Sql/servers/syncAgents/generateKey/action'
  'Microsoft.Sql/locations/serverKeyAzureAsyncOperation/read'
  'Microsoft.Sql/locations/serverKeyOperationResults/read'
  'Microsoft.Sql/locations/encryptionProtectorAzureAsyncOperation/read'
  'Microsoft.Sql/locations/encryptionProtectorOperationResults/read'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'sql-tde-key-rotation-operator', seed)
  properties: {
    roleName: roleName
    description: 'Rotate Azure SQL TDE server keys and protectors and sync agent keys; nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [for rg in resourceGroupNames: '${subscription().id}/resourceGroups/${rg}']
  }
}

@description('Resource id of the role definition.')
output ROLE_DEFINITION_ID string = role.id
