<#
.SYNOPSIS
    Submits the newest SQL Data Sync agent key from Key Vault to the local Data Sync Agent.

.DESCRIPTION
    Closes the loop of the scheduled agent-key rotation (the syncAgentKeyRotation function): the function
    regenerates the agent key in Azure and stores it in a Key Vault secret; this script, run on the agent's
    Windows host, reads the newest version of that secret with the host's own identity and submits it to the
    local agent with:

        SqlDataSyncAgentCommand.exe -action submitagentkey -agentkey <key> -username <user> -password <password>

    where <user>/<password> are the credentials of the sync metadata database, as when the agent was first set up.

    Identity, in this order (or as forced by -IdentitySource):
      - Azure Arc-enabled server: the Hybrid Instance Metadata Service (IDENTITY_ENDPOINT), with its
        challenge file (the account must be a local administrator or in "Hybrid agent extension applications");
      - Azure VM: the Instance Metadata Service (169.254.169.254) managed identity;
      - Az.KeyVault: Get-AzKeyVaultSecret in the current Az context (e.g. after Connect-AzAccount -Identity).
    The identity needs "Key Vault Secrets User" on the vault (or the secret).

    The key is never written to the console, a log, a transcript or a file. It is passed to the agent's own
    command line tool, whose only interface is the command line: while the tool runs, local administrators can
    see its command line (process listings, and event 4688 if command-line process auditing is on).

    The script remembers the secret version it last submitted (the version id only, under -StateDirectory) and
    does nothing when the newest version is the same, so it can run as a frequent scheduled task. The rotation
    invalidates the previous key at once: schedule this task soon after the rotation (or hourly).

    SQL Data Sync is retired on 30 September 2027.

.PARAMETER VaultName
    The Key Vault name (e.g. contoso-sync) or its URL (https://contoso-sync.vault.azure.net).

.PARAMETER SecretName
    The secret holding the agent key (as configured, or derived as syncagent-{server}-{agent}).

.PARAMETER Credential
    User name and password of the sync metadata database.

.PARAMETER UserName
    With -PasswordSecretName: the sync metadata database user, the password read from Key Vault.

.PARAMETER PasswordSecretName
    A secret (in the same vault) holding the sync metadata database password, for unattended runs.

.PARAMETER SyncAgentId
    When given, the secret's syncAgentId tag must match it: protects against submitting another agent's key.

.PARAMETER AgentCommandPath
    Path of SqlDataSyncAgentCommand.exe. Default: the bin folder of the default install location.

.PARAMETER IdentitySource
    Auto (default), Arc, Imds or AzPowerShell.

.PARAMETER StateDirectory
    Where the last submitted version id is kept. Default: $env:ProgramData\SqlDataSyncKeyRotation.

.PARAMETER Force
    Submit even when the newest version was already submitted.

.EXAMPLE
    .\Submit-SyncAgentKey.ps1 -VaultName contoso-sync -SecretName syncagent-sql-a-agent1 -Credential (Get-Credential)

.EXAMPLE
    # Unattended (scheduled task running as SYSTEM on an Arc-enabled server):
    .\Submit-SyncAgentKey.ps1 -VaultName contoso-sync -SecretName syncagent-sql-a-agent1 `
        -UserName syncadmin -PasswordSecretName sync-metadata-password `
        -SyncAgentId /subscriptions/.../servers/sql-a/syncAgents/agent1

.NOTES
    Exit codes: 0 submitted or already current; 1 failure (nothing submitted or the agent refused the key).
#>
[CmdletBinding(DefaultParameterSetName = 'Credential', SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)][string]$VaultName,
    [Parameter(Mandatory = $true)][ValidatePattern('^[0-9a-zA-Z-]{1,127}$')][string]$SecretName,
    [Parameter(Mandatory = $true, ParameterSetName = 'Credential')][pscredential]$Credential,
    [Parameter(Mandatory = $true, ParameterSetName = 'VaultPassword')][string]$UserName,
    [Parameter(Mandatory = $true, ParameterSetName = 'VaultPassword')][ValidatePattern('^[0-9a-zA-Z-]{1,127}$')][string]$PasswordSecretName,
    [string]$SyncAgentId,
    [string]$AgentCommandPath = (Join-Path ${env:ProgramFiles(x86)} 'Microsoft SQL Data Sync 2.0\bin\SqlDataSyncAgentCommand.exe'),
    [ValidateSet('Auto', 'Arc', 'Imds', 'AzPowerShell')][string]$IdentitySource = 'Auto',
    [string]$StateDirectory = (Join-Path $env:ProgramData 'SqlDataSyncKeyRotation'),
    [switch]$Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$KeyVaultApiVersion = '7.4'
# Token audience: https://vault.azure.net, or the sovereign cloud's (vault.azure.cn, vault.usgovcloudapi.net).
$KeyVaultResource = $null

function Get-VaultUrl([string]$Name) {
    if ($Name -match '^https://') { return $Name.TrimEnd('/') }
    return "https://$Name.vault.azure.net"
}

function Get-ArcToken {
    # Hybrid IMDS: the first call answers 401 with the path of a challenge file that only administrators can read.
    $uri = "$($env:IDENTITY_ENDPOINT)?api-version=2019-11-01&resource=$([uri]::EscapeDataString($KeyVaultResource))"
    $challenge = $null
    try {
        Invoke-WebRequest -Uri $uri -Headers @{ Metadata = 'true' } -UseBasicParsing | Out-Null
    } catch {
        $response = $_.Exception.Response
        if ($null -eq $response) { throw }
        if ($response -is [System.Net.HttpWebResponse]) {
            $challenge = [string]$response.Headers['WWW-Authenticate']          # Windows PowerShell 5.1
        } else {
            $challenge = ($response.Headers.WwwAuthenticate | ForEach-Object { $_.ToString() }) -join ' '   # PowerShell 7
        }
    }
    if (-not $challenge -or $challenge -notmatch 'Basic realm=(.+)$') { throw 'Azure Arc identity endpoint sent no challenge.' }
    $secretFile = $Matches[1].Trim()
    $challengeToken = (Get-Content -LiteralPath $secretFile -Raw).Trim()
    $result = Invoke-RestMethod -Uri $uri -Headers @{ Metadata = 'true'; Authorization = "Basic $challengeToken" } -UseBasicParsing
    return $result.access_token
}

function Get-ImdsToken {
    $uri = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$([uri]::EscapeDataString($KeyVaultResource))"
    $result = Invoke-RestMethod -Uri $uri -Headers @{ Metadata = 'true' } -TimeoutSec 5 -UseBasicParsing
    return $result.access_token
}

function Get-AccessToken {
    switch ($IdentitySource) {
        'Arc' { return Get-ArcToken }
        'Imds' { return Get-ImdsToken }
        'AzPowerShell' { return $null }
    }
    if ($env:IDENTITY_ENDPOINT -and $env:IMDS_ENDPOINT) { return Get-ArcToken }
    try { return Get-ImdsToken } catch { Write-Verbose 'No VM managed identity answered; trying Az.KeyVault.' }
    return $null
}

# Reads one secret (newest version). Returns @{ Value; Version; Tags }: Value must never be printed.
function Read-Secret([string]$VaultUrl, [string]$Name, [string]$Token) {
    if ($Token) {
        $bundle = Invoke-RestMethod -Uri "$VaultUrl/secrets/$Name`?api-version=$KeyVaultApiVersion" `
            -Headers @{ Authorization = "Bearer $Token" } -UseBasicParsing
        $tags = @{}
        if ($bundle.PSObject.Properties['tags'] -and $bundle.tags) {
            foreach ($p in $bundle.tags.PSObject.Properties) { $tags[$p.Name] = [string]$p.Value }
        }
        return @{ Value = [string]$bundle.value; Version = ($bundle.id -split '/')[-1]; Tags = $tags }
    }
    if (-not (Get-Command Get-AzKeyVaultSecret -ErrorAction SilentlyContinue)) {
        throw 'No managed identity endpoint answered and Az.KeyVault is not installed.'
    }
    $vault = ([uri]$VaultUrl).Host.Split('.')[0]
    # One read: value, version and tags of the same version.
    $s = Get-AzKeyVaultSecret -VaultName $vault -Name $Name
    if ($null -eq $s) { throw "Secret $Name not found in $vault." }
    $plain = [System.Net.NetworkCredential]::new('', $s.SecretValue).Password
    $tags = @{}
    if ($s.Tags) { foreach ($k in $s.Tags.Keys) { $tags[$k] = [string]$s.Tags[$k] } }
    return @{ Value = [string]$plain; Version = [string]$s.Version; Tags = $tags }
}

# Quotes one argument for the Windows command line (backslashes before a quote and at the end are doubled).
function ConvertTo-Argument([string]$Value) {
    $escaped = [regex]::Replace($Value, '(\\*)"', { param($m) ($m.Groups[1].Value * 2) + '\"' })
    $escaped = [regex]::Replace($escaped, '(\\+)$', { param($m) $m.Groups[1].Value * 2 })
    return '"' + $escaped + '"'
}

# Runs the agent's tool through .NET (no cmdlet parameter binding to be captured by module logging) and
# returns its exit code. Its output is shown with the key masked.
function Invoke-AgentCommand([string]$Key, [string]$User, [string]$Password) {
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $AgentCommandPath
    $psi.WorkingDirectory = Split-Path -Parent $AgentCommandPath
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Arguments = '-action submitagentkey -agentkey ' + (ConvertTo-Argument $Key) +
        ' -username ' + (ConvertTo-Argument $User) + ' -password ' + (ConvertTo-Argument $Password)
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdoutTask = $process.StandardOutput.ReadToEndAsync()
    $stderrTask = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    $stdout = $stdoutTask.Result
    $stderr = $stderrTask.Result
    $psi.Arguments = ''
    foreach ($line in (($stdout + "`n" + $stderr) -split "`r?`n")) {
        if ($line.Trim() -eq '') { continue }
        $masked = $line.Replace($Key, '[redacted]')
        if ($Password) { $masked = $masked.Replace($Password, '[redacted]') }
        Write-Host "  agent: $masked"
    }
    return $process.ExitCode
}

try {
    if (-not (Test-Path -LiteralPath $AgentCommandPath)) { throw "SqlDataSyncAgentCommand.exe not found at $AgentCommandPath (use -AgentCommandPath)." }
    $vaultUrl = Get-VaultUrl $VaultName
    $KeyVaultResource = 'https://' + (([uri]$vaultUrl).Host -replace '^[^.]+\.', '')
    $token = Get-AccessToken

    $secret = Read-Secret $vaultUrl $SecretName $token
    if (-not $secret.Value) { throw "Secret $SecretName in $vaultUrl is empty." }
    if ($SyncAgentId) {
        $tagged = $secret.Tags['syncAgentId']
        if (-not $tagged -or -not [string]::Equals($tagged, $SyncAgentId, [StringComparison]::OrdinalIgnoreCase)) {
            throw "Secret $SecretName is tagged for agent '$tagged', not '$SyncAgentId': refusing to submit it."
        }
    }
    $rotatedAt = $secret.Tags['rotatedAt']
    Write-Host "Newest version of $SecretName is $($secret.Version)$(if ($rotatedAt) { " (rotated at $rotatedAt)" })."

    $stateFile = Join-Path $StateDirectory "$SecretName.version"
    if (-not $Force -and (Test-Path -LiteralPath $stateFile) -and ((Get-Content -LiteralPath $stateFile -Raw).Trim() -eq $secret.Version)) {
        Write-Host 'This version was already submitted to the agent; nothing to do.'
        exit 0
    }

    if ($PSCmdlet.ParameterSetName -eq 'VaultPassword') {
        $user = $UserName
        $password = (Read-Secret $vaultUrl $PasswordSecretName $token).Value
    } else {
        $user = $Credential.UserName
        $password = $Credential.GetNetworkCredential().Password
    }

    if (-not $PSCmdlet.ShouldProcess("local Data Sync Agent", "submit agent key version $($secret.Version)")) { exit 0 }
    $exitCode = Invoke-AgentCommand $secret.Value $user $password
    if ($exitCode -ne 0) { throw "SqlDataSyncAgentCommand.exe exited with code ${exitCode}: the agent did not take the key." }

    New-Item -ItemType Directory -Force -Path $StateDirectory | Out-Null
    Set-Content -LiteralPath $stateFile -Value $secret.Version -NoNewline
    Write-Host "Submitted agent key version $($secret.Version) to the local Data Sync Agent."
    exit 0
} catch {
    # Messages here name the vault, the secret and the step; none of them can hold the key.
    Write-Error "Submit-SyncAgentKey failed: $($_.Exception.Message)" -ErrorAction Continue
    exit 1
} finally {
    $secret = $null
    $password = $null
    $token = $null
}
