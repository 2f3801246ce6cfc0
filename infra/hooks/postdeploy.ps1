# azd postdeploy hook (Windows, PowerShell 7; infra/hooks/postdeploy.sh is the same for POSIX shells). Runs after the
# code is deployed:
#  1. deploys infra/eventSubscription.bicep (the Event Grid subscription of keyNewVersionCreated), into the system
#     topic's resource group, with its parameters in a file. Passing the key-name JSON array on az's command line
#     through PowerShell loses its inner quotes (["k1"] arrives as [k1]); written to a file, it arrives as written.
#  2. when a Managed HSM is configured (TDE_MANAGED_HSM_NAME), assigns the HSM's local RBAC role
#     (MANAGED_HSM_ROLE_ID, default Managed HSM Crypto Auditor) to the app identity on each key, at /keys/{key}.
# Idempotent: fixed deployment name; each HSM assignment is named from (hsm, scope, principal, role) exactly as the
# POSIX hook names it. Re-run alone with `azd hooks run postdeploy`. Not run on Windows by the project's CI.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Fail([string]$Message) {
    Write-Error "postdeploy: $Message" -ErrorAction Continue
    exit 1
}

# An Azure resource or deployment name: letters, digits, '.', '_', '-', '(' and ')'; never a quote or a space.
function Assert-Name([string]$Variable, [string]$Value) {
    if ($Value -cnotmatch '^[A-Za-z0-9._()-]+$') { Fail "$Variable is empty or holds a character outside [A-Za-z0-9._()-]: '$Value'" }
}

function Assert-KeyName([string]$Variable, [string]$Value) {
    if ($Value -cnotmatch '^[0-9A-Za-z-]{1,127}$') { Fail "$Variable holds '$Value', which is not a key name ([0-9A-Za-z-], 1-127 characters)" }
}

# A GUID-shaped assignment name from the SHA-256 of its identity (same as the POSIX hook).
function Get-AssignmentName([string]$Identity) {
    $hash = [System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($Identity))
    $hex = -join ($hash[0..15] | ForEach-Object { $_.ToString('x2') })
    return '{0}-{1}-{2}-{3}-{4}' -f $hex.Substring(0, 8), $hex.Substring(8, 4), $hex.Substring(12, 4), $hex.Substring(16, 4), $hex.Substring(20, 12)
}

function Invoke-Az([string[]]$Arguments) {
    & az @Arguments
    if ($LASTEXITCODE -ne 0) { Fail "az $($Arguments[0..2] -join ' ') failed with exit code $LASTEXITCODE" }
}

$envName = [string]$env:AZURE_ENV_NAME
$appRg = [string]$env:AZURE_RESOURCE_GROUP
# Older environments (provisioned before the existing-topic option) have no topic resource group output.
$topicRg = if ($env:EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP) { [string]$env:EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP } else { $appRg }
$topic = [string]$env:EVENT_GRID_SYSTEM_TOPIC_NAME
$app = [string]$env:AZURE_FUNCTION_APP_NAME
$storage = [string]$env:AZURE_STORAGE_ACCOUNT_NAME
$container = [string]$env:EVENT_GRID_DEAD_LETTER_CONTAINER
$keyNamesJson = if ($env:TDE_KEY_NAMES_JSON) { [string]$env:TDE_KEY_NAMES_JSON } else { '[]' }

Assert-Name 'AZURE_ENV_NAME' $envName
Assert-Name 'AZURE_RESOURCE_GROUP' $appRg
Assert-Name 'EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP' $topicRg
Assert-Name 'EVENT_GRID_SYSTEM_TOPIC_NAME' $topic
Assert-Name 'AZURE_FUNCTION_APP_NAME' $app
Assert-Name 'AZURE_STORAGE_ACCOUNT_NAME' $storage
Assert-Name 'EVENT_GRID_DEAD_LETTER_CONTAINER' $container

# Parsed here only to check it; the file is built from objects, so ConvertTo-Json does the quoting.
$parsed = $null
try { $parsed = ConvertFrom-Json -InputObject $keyNamesJson -NoEnumerate } catch { Fail "TDE_KEY_NAMES_JSON is not JSON: $keyNamesJson" }
if ($parsed -isnot [System.Array]) { Fail "TDE_KEY_NAMES_JSON is not a JSON array: $keyNamesJson" }
$keyNames = @($parsed)
foreach ($k in $keyNames) {
    if ($k -isnot [string]) { Fail "TDE_KEY_NAMES_JSON holds a non-string element: $k" }
    Assert-KeyName 'TDE_KEY_NAMES_JSON' $k
}

$parameters = [ordered]@{
    '$schema'      = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#'
    contentVersion = '1.0.0.0'
    parameters     = [ordered]@{
        systemTopicName         = @{ value = $topic }
        functionAppName         = @{ value = $app }
        appResourceGroupName    = @{ value = $appRg }
        storageAccountName      = @{ value = $storage }
        deadLetterContainerName = @{ value = $container }
        keyNames                = @{ value = [string[]]$keyNames }
    }
}
# Under .azure/{env}/ (azd's own, git-ignored folder): a relative path without spaces.
$paramsDir = Join-Path '.azure' $envName
New-Item -ItemType Directory -Force -Path $paramsDir | Out-Null
$paramsFile = Join-Path $paramsDir 'eventSubscription.parameters.json'
ConvertTo-Json -InputObject $parameters -Depth 6 | Set-Content -LiteralPath $paramsFile -Encoding utf8NoBOM

Write-Host "postdeploy: subscribing keyNewVersionCreated to system topic $topicRg/$topic"
Invoke-Az @(
    'deployment', 'group', 'create',
    '--name', "event-subscription-$envName",
    '--resource-group', $topicRg,
    '--template-file', 'infra/eventSubscription.bicep',
    '--parameters', "@$paramsFile",
    '--output', 'none'
)

$hsm = [string]$env:MANAGED_HSM_NAME
if ($hsm) {
    Assert-Name 'MANAGED_HSM_NAME' $hsm
    $principal = [string]$env:AZURE_IDENTITY_PRINCIPAL_ID
    Assert-Name 'AZURE_IDENTITY_PRINCIPAL_ID' $principal
    $role = if ($env:MANAGED_HSM_ROLE_ID) { [string]$env:MANAGED_HSM_ROLE_ID } else { '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3' }
    Assert-Name 'MANAGED_HSM_ROLE_ID' $role
    $hsmKeys = @(([string]$env:MANAGED_HSM_KEY_NAMES) -split '\s+' | Where-Object { $_ })
    if ($hsmKeys.Count -eq 0) { Fail "MANAGED_HSM_NAME is $hsm but MANAGED_HSM_KEY_NAMES is empty: name the HSM keys (TDE_MANAGED_HSM_KEY_NAMES)" }
    foreach ($key in $hsmKeys) {
        Assert-KeyName 'MANAGED_HSM_KEY_NAMES' $key
        $scope = "/keys/$key"
        $name = Get-AssignmentName "$hsm|$scope|$principal|$role"
        Write-Host "postdeploy: Managed HSM ${hsm}: role $role for the app identity at $scope"
        Invoke-Az @(
            'keyvault', 'role', 'assignment', 'create',
            '--hsm-name', $hsm,
            '--name', $name,
            '--role', $role,
            '--assignee-object-id', $principal,
            '--assignee-principal-type', 'ServicePrincipal',
            '--scope', $scope,
            '--output', 'none'
        )
    }
}
