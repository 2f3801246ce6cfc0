// Custom role for the rotation identity on every kind of TDE target (logical servers, SQL Managed Instances, databases
// with database-level keys), offered instead of the broad built-in `SQL Server Contributor` / `SQL Managed Instance
// Contributor`: read servers and instances (discovery), add server and instance keys, switch their TDE protectors,
// read databases and update a database's keys and protector (one database update: ARM has no narrower action for it),
// regenerate sync agent keys, and poll the long-running operations of each (Azure-AsyncOperation / Location URLs live
// under /resourceGroups/{rg}/providers/Microsoft.Sql/locations/{region}/...). Action names as Microsoft's resource
// provider operations list spells them (Azure permissions for Databases, Microsoft.Sql).
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
  // SQL Managed Instances: keys and encryption protector, and their operations.
  'Microsoft.Sql/managedInstances/read'
  'Microsoft.Sql/managedInstances/keys/read'
  'Microsoft.Sql/managedInstances/keys/write'
  'Microsoft.Sql/managedInstances/encryptionProtector/read'
  'Microsoft.Sql/managedInstances/encryptionProtector/write'
  'Microsoft.Sql/locations/managedInstanceKeyAzureAsyncOperation/read'
  'Microsoft.Sql/locations/managedInstanceKeyOperationResults/read'
  'Microsoft.Sql/locations/managedInstanceEncryptionProtectorAzureAsyncOperation/read'
  'Microsoft.Sql/locations/managedInstanceEncryptionProtectorOperationResults/read'
  // Databases with database-level keys: read (with keys expanded), update keys + encryptionProtector, poll the update.
  'Microsoft.Sql/servers/databases/read'
  'Microsoft.Sql/servers/databases/write'
  'Microsoft.Sql/locations/databaseAzureAsyncOperation/read'
  'Microsoft.Sql/locations/databaseOperationResults/read'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'sql-tde-key-rotation-operator', seed)
  properties: {
    roleName: roleName
    description: 'Rotate Azure SQL TDE keys and protectors (servers, managed instances, database-level keys) and sync agent keys; nothing else.'
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
