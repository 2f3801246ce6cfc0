// Custom role for the pre-flight read of the TDE key (enabled, type, expiry of the new version): the one data action
// `Microsoft.KeyVault/vaults/keys/read`. The nearest built-ins are broader: Key Vault Reader (21090545-...) also reads
// every certificate and secret's metadata, Key Vault Crypto Service Encryption User (e147488a-...) also wraps/unwraps
// and writes Event Grid subscriptions, Key Vault Crypto User (12338af0-...) also encrypts, decrypts, signs, updates.
targetScope = 'subscription'

@description('Role name, unique in the tenant.')
param roleName string

@description('Resource group of the TDE Key Vault; custom roles cannot name a single resource as assignable scope.')
param vaultResourceGroupName string

@description('Seed of the role definition GUID (keep stable across deployments).')
param seed string

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'tde-key-metadata-reader', seed)
  properties: {
    roleName: roleName
    description: 'Read Key Vault key properties and public material (no cryptographic operation, no secret).'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/read'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      '${subscription().id}/resourceGroups/${vaultResourceGroupName}'
    ]
  }
}

@description('Resource id of the role definition.')
output ROLE_DEFINITION_ID string = role.id
