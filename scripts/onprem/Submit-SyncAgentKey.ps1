<#
.SYNOPSIS
    Submits the newest SQL Data Sync agent key from Key Vault to the local Data Sync Agent, once per key version;
    -Install registers it as a scheduled task, -Uninstall removes the task.

.DESCRIPTION
    Closes the loop of the scheduled agent-key rotation (the syncAgentKeyRotation function): the function
    regenerates the agent key in Azure and stores it in a Key Vault secret; this script, run on the agent's
    Windows host, reads the newest version of that secret with the host's own identity and submits it to the
    local agent with:

        SqlDataSyncAgentCommand.exe -action submitagentkey -agentkey <key> -username <user> -password <password>

    where <user>/<password> are the credentials of the sync metadata database, as when the agent was first set up.
    After a submission it runs

        SqlDataSyncAgentCommand.exe -action pingsyncservice

    and reports both results to the Windows Application event log (source -EventSource, created by -Install).

    A run submits only a secret version it has never submitted (an agent key can be used once): the state file
    (-StateDirectory, version ids only, never a key) remembers the versions already submitted. A run with nothing
    new does nothing, except re-checking the ping when the last one failed.

    Identity, in this order (or as forced by -IdentitySource):
      - Azure Arc-enabled server: the Hybrid Instance Metadata Service (IDENTITY_ENDPOINT), with its
        challenge file (the account must be a local administrator or in "Hybrid agent extension applications");
        Arc offers the machine's system-assigned identity only;
      - Azure VM: the Instance Metadata Service (169.254.169.254) managed identity; with several user-assigned
        identities on the VM, -ClientId picks one (IMDS client_id);
      - Az.KeyVault: Get-AzKeyVaultSecret in the current Az context (e.g. after Connect-AzAccount -Identity).
    The identity needs "Key Vault Secrets User" on the vault (or on the secrets).

    The key is never written to the console, a log, the event log, a transcript or a file. It is passed to the
    agent's own command line tool, whose only interface is the command line: while the tool runs, local
    administrators can see its command line (process listings, and event 4688 if command-line process auditing
    is on).

    This script has not been run on Windows by the project (its CI has no Windows and no PowerShell); the logic
    that needs neither is gathered in the region "Pure logic, reviewable" below.

    SQL Data Sync is retired on 30 September 2027.

.PARAMETER VaultName
    The Key Vault name (e.g. contoso-sync) or its URL (https://contoso-sync.vault.azure.net).

.PARAMETER SecretName
    The secret holding the agent key (as configured, or derived as syncagent-{server}-{agent}).

.PARAMETER Credential
    User name and password of the sync metadata database (interactive runs only).

.PARAMETER UserName
    With -PasswordSecretName: the sync metadata database user, the password read from Key Vault.

.PARAMETER PasswordSecretName
    A secret (in the same vault) holding the sync metadata database password, for unattended runs.

.PARAMETER SyncAgentId
    When given, the secret's syncAgentId tag must match it: protects against submitting another agent's key.

.PARAMETER ClientId
    Client id of the user-assigned managed identity to use on an Azure VM with several (IMDS client_id).

.PARAMETER AgentCommandPath
    Path of SqlDataSyncAgentCommand.exe. Default: the bin folder of the default install location.

.PARAMETER IdentitySource
    Auto (default), Arc, Imds or AzPowerShell.

.PARAMETER StateDirectory
    Where the submitted version ids are kept. Default: $env:ProgramData\SqlDataSyncKeyRotation.

.PARAMETER EventSource
    Windows event log source (Application log). Default: SqlDataSyncKeyRotation.

.PARAMETER Force
    Submit the newest version even when it was already submitted.

.PARAMETER Install
    Register a scheduled task that runs this script (from where it is now) every -IntervalMinutes minutes as
    -TaskUser, with the same vault, secret, user, password secret, agent id, client id and identity source; and
    create the event log source. Needs an elevated session. Unattended, so -UserName/-PasswordSecretName only.

.PARAMETER IntervalMinutes
    With -Install: minutes between runs (1 to 1440). Default 5.

.PARAMETER TaskUser
    With -Install: the account the task runs as, which must be able to get a token for the identity that reads
    the secret. SYSTEM (default; what Arc and VM managed identities need), a group managed service account
    (DOMAIN\name$), or a user with -TaskCredential.

.PARAMETER TaskCredential
    With -Install and a user account as -TaskUser: its password, stored by the Task Scheduler.

.PARAMETER TaskName
    Name of the scheduled task (folder \SqlDataSync\). Default: Submit SQL Data Sync agent key (<SecretName>).

.PARAMETER Uninstall
    Remove the scheduled task (the state file and the event source stay, so a reinstall never resubmits a key).

.EXAMPLE
    .\Submit-SyncAgentKey.ps1 -VaultName contoso-sync -SecretName syncagent-sql-a-agent1 -Credential (Get-Credential)

.EXAMPLE
    # Elevated: run every 5 minutes as SYSTEM (Arc-enabled server or Azure VM identity).
    .\Submit-SyncAgentKey.ps1 -Install -VaultName contoso-sync -SecretName syncagent-sql-a-agent1 `
        -UserName syncadmin -PasswordSecretName sync-metadata-password `
        -SyncAgentId /subscriptions/.../servers/sql-a/syncAgents/agent1

.EXAMPLE
    .\Submit-SyncAgentKey.ps1 -Uninstall -SecretName syncagent-sql-a-agent1

.NOTES
    Exit codes: 0 submitted (and pinged), nothing new, task installed or removed; 1 failure (nothing submitted,
    the agent refused the key, or the ping failed after a submission).
#>
[CmdletBinding(DefaultParameterSetName = 'Credential', SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true, ParameterSetName = 'Credential')]
    [Parameter(Mandatory = $true, ParameterSetName = 'VaultPassword')]
    [Parameter(Mandatory = $true, ParameterSetName = 'Install')]
    [string]$VaultName,

    [Parameter(Mandatory = $true)][ValidatePattern('^[0-9a-zA-Z-]{1,127}$')][string]$SecretName,

    [Parameter(Mandatory = $true, ParameterSetName = 'Credential')][pscredential]$Credential,

    [Parameter(Mandatory = $true, ParameterSetName = 'VaultPassword')]
    [Parameter(Mandatory = $true, ParameterSetName = 'Install')]
    [string]$UserName,

    [Parameter(Mandatory = $true, ParameterSetName = 'VaultPassword')]
    [Parameter(Mandatory = $true, ParameterSetName = 'Install')]
    [ValidatePattern('^[0-9a-zA-Z-]{1,127}$')][string]$PasswordSecretName,

    [Parameter(ParameterSetName = 'Credential')]
    [Parameter(ParameterSetName = 'VaultPassword')]
    [Parameter(ParameterSetName = 'Install')]
    [string]$SyncAgentId,

    [Parameter(ParameterSetName = 'Credential')]
    [Parameter(ParameterSetName = 'VaultPassword')]
    [Parameter(ParameterSetName = 'Install')]
    [ValidatePattern('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')][string]$ClientId,

    [string]$AgentCommandPath = (Join-Path ${env:ProgramFiles(x86)} 'Microsoft SQL Data Sync 2.0\bin\SqlDataSyncAgentCommand.exe'),
    [ValidateSet('Auto', 'Arc', 'Imds', 'AzPowerShell')][string]$IdentitySource = 'Auto',
    [string]$StateDirectory = (Join-Path $env:ProgramData 'SqlDataSyncKeyRotation'),
    [ValidatePattern('^[A-Za-z0-9 ._-]{1,200}$')][string]$EventSource = 'SqlDataSyncKeyRotation',

    [Parameter(ParameterSetName = 'Credential')]
    [Parameter(ParameterSetName = 'VaultPassword')]
    [switch]$Force,

    [Parameter(Mandatory = $true, ParameterSetName = 'Install')][switch]$Install,
    [Parameter(ParameterSetName = 'Install')][ValidateRange(1, 1440)][int]$IntervalMinutes = 5,
    [Parameter(ParameterSetName = 'Install')][string]$TaskUser = 'NT AUTHORITY\SYSTEM',
    [Parameter(ParameterSetName = 'Install')][pscredential]$TaskCredential,

    [Parameter(ParameterSetName = 'Install')]
    [Parameter(ParameterSetName = 'Uninstall')]
    [string]$TaskName,

    [Parameter(Mandatory = $true, ParameterSetName = 'Uninstall')][switch]$Uninstall
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

#region Pure logic, reviewable
# Everything in this region is plain PowerShell on strings, numbers, hashtables and one file: no Windows-only
# cmdlet, no network, no process. It is the part of the script that can be read (and run) anywhere; the regions
# after it are the Windows and Azure edges.

$KeyVaultApiVersion = '7.4'
$TaskPath = '\SqlDataSync\'
$StateSchema = 1
# Submitted versions remembered per secret; an agent key is single-use, so these are never submitted again.
$MaxRememberedVersions = 50

# Event ids written to the Application log under -EventSource.
$EventIds = @{
    Submitted       = 1000   # new version submitted, ping succeeded
    PingRecovered   = 1001   # nothing new; the ping that failed after the last submission now succeeds
    AlreadySeen     = 1002   # the vault's newest version was submitted earlier and is not the last one
    SubmitFailed    = 2000   # the agent tool refused the key (nothing recorded: the next run tries again)
    PingFailed      = 2001   # submitted, but the ping failed (the next runs re-check the ping)
    RunFailed       = 2002   # the run failed before the agent tool (identity, vault, secret, arguments)
}

function Get-VaultUrl([string]$Name) {
    # A bare name is a public-cloud vault; pass the URL for a sovereign cloud.
    if ($Name -match '^https://[0-9a-zA-Z-]{3,24}\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)/?$') { return $Name.TrimEnd('/') }
    if ($Name -match '^[0-9a-zA-Z-]{3,24}$') { return "https://$Name.vault.azure.net" }
    throw "VaultName '$Name' is neither a vault name nor a https://{name}.vault.{azure.net|azure.cn|usgovcloudapi.net} URL."
}

# Token audience of a vault URL: https://vault.azure.net, or the sovereign cloud's.
function Get-KeyVaultResource([string]$VaultUrl) {
    return 'https://' + (([uri]$VaultUrl).Host -replace '^[^.]+\.', '')
}

# The Azure VM managed identity endpoint; client_id selects one of several user-assigned identities.
function Get-ImdsTokenUri([string]$Resource, [string]$ClientId) {
    $uri = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=' + [uri]::EscapeDataString($Resource)
    if ($ClientId) { $uri += '&client_id=' + [uri]::EscapeDataString($ClientId) }
    return $uri
}

# A Key Vault secret version id: 32 hexadecimal characters.
function Test-SecretVersion([string]$Version) {
    return [bool]($Version -cmatch '^[0-9a-fA-F]{32}$')
}

function Test-SameVersion([string]$A, [string]$B) {
    return (Test-SecretVersion $A) -and (Test-SecretVersion $B) -and [string]::Equals($A, $B, [StringComparison]::OrdinalIgnoreCase)
}

# What a run does, from the state file and the vault's newest version:
#   Submit        - a version never submitted (or -Force);
#   PingOnly      - the newest is the last one submitted, and the ping after it failed;
#   AlreadySeen   - the newest was submitted earlier but is not the last one (an older version made current
#                   again): an agent key is single-use, so it is not submitted again;
#   Nothing       - the newest is the last one submitted and the ping after it succeeded.
function Get-RunDecision($State, [string]$NewestVersion, [bool]$Force) {
    if (-not (Test-SecretVersion $NewestVersion)) { throw "Key Vault returned '$NewestVersion', which is not a secret version id." }
    if ($Force) { return 'Submit' }
    if ($null -ne $State.LastVersion -and (Test-SameVersion $State.LastVersion $NewestVersion)) {
        if ($State.LastPingSucceeded) { return 'Nothing' }
        return 'PingOnly'
    }
    foreach ($v in $State.Versions) { if (Test-SameVersion $v $NewestVersion) { return 'AlreadySeen' } }
    return 'Submit'
}

function New-SubmissionState([string]$SecretName) {
    return @{ Schema = $StateSchema; SecretName = $SecretName; LastVersion = $null; LastSubmittedAt = $null; LastPingSucceeded = $false; LastPingAt = $null; Versions = @() }
}

# State after a submission the agent accepted: the version joins the remembered ones (newest first, bounded).
function Add-SubmittedVersion($State, [string]$Version, [datetime]$At) {
    $kept = @($State.Versions | Where-Object { -not (Test-SameVersion $_ $Version) })
    $State.Versions = @(@($Version.ToLowerInvariant()) + $kept | Select-Object -First $MaxRememberedVersions)
    $State.LastVersion = $Version.ToLowerInvariant()
    $State.LastSubmittedAt = $At.ToUniversalTime().ToString('o')
    $State.LastPingSucceeded = $false
    $State.LastPingAt = $null
    return $State
}

function Set-PingResult($State, [bool]$Succeeded, [datetime]$At) {
    $State.LastPingSucceeded = $Succeeded
    $State.LastPingAt = $At.ToUniversalTime().ToString('o')
    return $State
}

# A property of a parsed JSON object, or $null when absent (strict mode throws on a missing property).
function Get-JsonProperty($Object, [string]$Name) {
    if ($null -eq $Object -or $Object -isnot [System.Management.Automation.PSCustomObject]) { return $null }
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function Get-StatePath([string]$Directory, [string]$SecretName) {
    return Join-Path $Directory "$SecretName.state.json"
}

# Reads the state file; a missing file is a fresh state. The single-line "{SecretName}.version" file of earlier
# versions of this script counts as one submitted version whose ping is unknown (treated as succeeded, so an
# upgrade does not ping at once). A file that is not this script's state is an error, not a fresh start: starting
# fresh could resubmit a used key.
function Read-SubmissionState([string]$Directory, [string]$SecretName) {
    $state = New-SubmissionState $SecretName
    $path = Get-StatePath $Directory $SecretName
    if (Test-Path -LiteralPath $path -PathType Leaf) {
        $raw = Get-Content -LiteralPath $path -Raw
        try { $json = $raw | ConvertFrom-Json } catch { throw "State file $path is not JSON; fix or delete it (deleting it may resubmit a used key)." }
        if ((Get-JsonProperty $json 'Schema') -ne $StateSchema -or (Get-JsonProperty $json 'SecretName') -ne $SecretName) {
            throw "State file $path is not a state file of this script for secret $SecretName."
        }
        $state.Versions = @(Get-JsonProperty $json 'Versions' | Where-Object { Test-SecretVersion $_ } | ForEach-Object { ([string]$_).ToLowerInvariant() })
        $last = Get-JsonProperty $json 'LastVersion'
        $state.LastVersion = if (Test-SecretVersion $last) { ([string]$last).ToLowerInvariant() } else { $null }
        $state.LastSubmittedAt = Get-JsonProperty $json 'LastSubmittedAt'
        $state.LastPingSucceeded = [bool](Get-JsonProperty $json 'LastPingSucceeded')
        $state.LastPingAt = Get-JsonProperty $json 'LastPingAt'
        return $state
    }
    $legacy = Join-Path $Directory "$SecretName.version"
    if (Test-Path -LiteralPath $legacy -PathType Leaf) {
        $version = (Get-Content -LiteralPath $legacy -Raw).Trim()
        if (Test-SecretVersion $version) {
            $state.Versions = @($version.ToLowerInvariant())
            $state.LastVersion = $version.ToLowerInvariant()
            $state.LastPingSucceeded = $true
        }
    }
    return $state
}

# Writes the state through a temporary file and a rename, so a crash never leaves half a file.
function Write-SubmissionState([string]$Directory, $State) {
    New-Item -ItemType Directory -Force -Path $Directory | Out-Null
    $path = Get-StatePath $Directory $State.SecretName
    $temp = "$path.tmp"
    $ordered = [ordered]@{
        Schema = $State.Schema; SecretName = $State.SecretName; LastVersion = $State.LastVersion
        LastSubmittedAt = $State.LastSubmittedAt; LastPingSucceeded = $State.LastPingSucceeded; LastPingAt = $State.LastPingAt
        Versions = @($State.Versions)
    }
    Set-Content -LiteralPath $temp -Value (ConvertTo-Json -InputObject $ordered -Depth 3) -Encoding UTF8
    Move-Item -LiteralPath $temp -Destination $path -Force
}

# Quotes one argument for the Windows command line (CommandLineToArgvW rules: backslashes before a quote and at
# the end are doubled, quotes escaped).
function ConvertTo-Argument([string]$Value) {
    $escaped = [regex]::Replace($Value, '(\\*)"', { param($m) ($m.Groups[1].Value * 2) + '\"' })
    $escaped = [regex]::Replace($escaped, '(\\+)$', { param($m) $m.Groups[1].Value * 2 })
    return '"' + $escaped + '"'
}

# Microsoft's documented syntax: SqlDataSyncAgentCommand.exe -action submitagentkey -agentkey [agent key]
# -username [user name] -password [password].
function Get-SubmitKeyArguments([string]$Key, [string]$User, [string]$Password) {
    return '-action submitagentkey -agentkey ' + (ConvertTo-Argument $Key) +
        ' -username ' + (ConvertTo-Argument $User) + ' -password ' + (ConvertTo-Argument $Password)
}

function Get-PingArguments {
    return '-action pingsyncservice'
}

function Get-DefaultTaskName([string]$SecretName) {
    return "Submit SQL Data Sync agent key ($SecretName)"
}

# Checks an -Install request. Returns @{ Errors; Warnings }, each a list of sentences; no error: it can go ahead.
function Test-InstallRequest([string]$TaskUser, [bool]$HasTaskCredential, [string]$IdentitySource, [string]$ClientId, [string]$ScriptPath) {
    $errors = @()
    $warnings = @()
    $kind = Get-TaskUserKind $TaskUser
    if ($kind -eq 'Invalid') { $errors += "TaskUser '$TaskUser' is not SYSTEM, DOMAIN\gmsa`$ or DOMAIN\user." }
    if ($kind -eq 'User' -and -not $HasTaskCredential) { $errors += "TaskUser '$TaskUser' is a user account: pass its password with -TaskCredential (or use SYSTEM or a gMSA)." }
    if ($kind -ne 'User' -and $HasTaskCredential) { $errors += "-TaskCredential is only for a user account; $TaskUser needs none." }
    if ($ClientId -and $IdentitySource -eq 'Arc') { $errors += '-ClientId selects a user-assigned identity on an Azure VM; an Arc-enabled server has only its system-assigned identity.' }
    if (-not $ScriptPath) { $errors += 'The script path is unknown: run the script from a file.' }
    if ($kind -in @('Gmsa', 'User') -and $IdentitySource -in @('Auto', 'Arc', 'Imds')) {
        $warnings += "The Arc identity endpoint needs a privileged account (SYSTEM, an administrator, or a member of 'Hybrid agent extension applications'): make sure '$TaskUser' qualifies, or use -IdentitySource AzPowerShell."
    }
    return @{ Errors = $errors; Warnings = $warnings }
}

function Get-TaskUserKind([string]$TaskUser) {
    if ($TaskUser -in @('SYSTEM', 'NT AUTHORITY\SYSTEM', 'LocalSystem')) { return 'System' }
    if ($TaskUser -match '^[^\\/"]+\\[^\\/"]+\$$') { return 'Gmsa' }
    if ($TaskUser -match '^[^\\/"]+\\[^\\/"$]+$' -or $TaskUser -match '^[^@\\/"]+@[^@\\/"]+$') { return 'User' }
    return 'Invalid'
}

# The command line of the scheduled task: this script, unattended, with the run's own parameters.
function Get-TaskArguments([string]$ScriptPath, [hashtable]$RunParameters) {
    $line = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ' + (ConvertTo-Argument $ScriptPath)
    foreach ($name in @('VaultName', 'SecretName', 'UserName', 'PasswordSecretName', 'SyncAgentId', 'ClientId', 'IdentitySource', 'AgentCommandPath', 'StateDirectory', 'EventSource')) {
        $value = $RunParameters[$name]
        if ($value) { $line += " -$name " + (ConvertTo-Argument ([string]$value)) }
    }
    return $line
}

# Event log text: identifiers and outcomes only (never the key, never the password).
function Format-RunMessage([string]$Outcome, [string]$SecretName, [string]$Version, [string]$Detail) {
    $text = "$Outcome. Secret $SecretName"
    if ($Version) { $text += ", version $Version" }
    $text += '.'
    if ($Detail) { $text += " $Detail" }
    return $text
}

# Masks every occurrence of the given values in a line of tool output.
function Hide-Values([string]$Line, [string[]]$Values) {
    $masked = $Line
    foreach ($v in $Values) { if ($v) { $masked = $masked.Replace($v, '[redacted]') } }
    return $masked
}
#endregion

#region Windows edge: event log, scheduled task, agent tool
function Write-RunEvent([string]$Kind, [System.Diagnostics.EventLogEntryType]$Type, [string]$Message) {
    try {
        if ([System.Diagnostics.EventLog]::SourceExists($EventSource)) {
            [System.Diagnostics.EventLog]::WriteEntry($EventSource, $Message, $Type, $EventIds[$Kind])
            return
        }
        Write-Verbose "Event source $EventSource does not exist (run -Install elevated to create it); not logged: $Message"
    } catch {
        Write-Warning "Could not write to the event log: $($_.Exception.Message)"
    }
}

# Runs the agent's tool through .NET (no cmdlet parameter binding to be captured by module logging). Returns
# @{ ExitCode; Output } with every secret value masked in Output.
function Invoke-AgentTool([string]$Arguments, [string[]]$Mask) {
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $AgentCommandPath
    $psi.WorkingDirectory = Split-Path -Parent $AgentCommandPath
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Arguments = $Arguments
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdoutTask = $process.StandardOutput.ReadToEndAsync()
    $stderrTask = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    $psi.Arguments = ''
    $lines = @()
    foreach ($line in (($stdoutTask.Result + "`n" + $stderrTask.Result) -split "`r?`n")) {
        if ($line.Trim() -eq '') { continue }
        $masked = Hide-Values $line $Mask
        Write-Host "  agent: $masked"
        $lines += $masked
    }
    return @{ ExitCode = $process.ExitCode; Output = ($lines -join ' | ') }
}

function Install-SubmitTask {
    $scriptPath = $PSCommandPath
    $check = Test-InstallRequest $TaskUser ($null -ne $TaskCredential) $IdentitySource $ClientId $scriptPath
    foreach ($w in $check.Warnings) { Write-Warning $w }
    if ($check.Errors.Count -gt 0) { throw ($check.Errors -join ' ') }
    if (-not (Test-Path -LiteralPath $AgentCommandPath)) { throw "SqlDataSyncAgentCommand.exe not found at $AgentCommandPath (use -AgentCommandPath)." }

    if (-not [System.Diagnostics.EventLog]::SourceExists($EventSource)) {
        [System.Diagnostics.EventLog]::CreateEventSource($EventSource, 'Application')
    }
    $name = if ($TaskName) { $TaskName } else { Get-DefaultTaskName $SecretName }
    $run = @{
        VaultName = $VaultName; SecretName = $SecretName; UserName = $UserName; PasswordSecretName = $PasswordSecretName
        SyncAgentId = $SyncAgentId; ClientId = $ClientId; IdentitySource = $IdentitySource
        AgentCommandPath = $AgentCommandPath; StateDirectory = $StateDirectory; EventSource = $EventSource
    }
    $hostExe = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    $action = New-ScheduledTaskAction -Execute $hostExe -Argument (Get-TaskArguments $scriptPath $run) -WorkingDirectory (Split-Path -Parent $scriptPath)
    $trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) -RepetitionInterval (New-TimeSpan -Minutes $IntervalMinutes)
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable -ExecutionTimeLimit (New-TimeSpan -Minutes 10)
    $description = "Submits new versions of Key Vault secret $SecretName to the local SQL Data Sync agent, then pings the sync service. Installed by $scriptPath."

    if (-not $PSCmdlet.ShouldProcess("$TaskPath$name", "register scheduled task every $IntervalMinutes min as $TaskUser")) { return }
    switch (Get-TaskUserKind $TaskUser) {
        'System' {
            $principal = New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -LogonType ServiceAccount -RunLevel Highest
            Register-ScheduledTask -TaskName $name -TaskPath $TaskPath -Action $action -Trigger $trigger -Settings $settings -Principal $principal -Description $description -Force | Out-Null
        }
        'Gmsa' {
            $principal = New-ScheduledTaskPrincipal -UserId $TaskUser -LogonType Password -RunLevel Highest
            Register-ScheduledTask -TaskName $name -TaskPath $TaskPath -Action $action -Trigger $trigger -Settings $settings -Principal $principal -Description $description -Force | Out-Null
        }
        'User' {
            Register-ScheduledTask -TaskName $name -TaskPath $TaskPath -Action $action -Trigger $trigger -Settings $settings -Description $description `
                -User $TaskUser -Password $TaskCredential.GetNetworkCredential().Password -RunLevel Highest -Force | Out-Null
        }
    }
    Write-Host "Registered scheduled task $TaskPath${name}: every $IntervalMinutes minute(s) as $TaskUser; events in the Application log, source $EventSource."
}

function Uninstall-SubmitTask {
    $name = if ($TaskName) { $TaskName } else { Get-DefaultTaskName $SecretName }
    $task = Get-ScheduledTask -TaskName $name -TaskPath $TaskPath -ErrorAction SilentlyContinue
    if ($null -eq $task) {
        Write-Host "No scheduled task $TaskPath$name; nothing to remove."
        return
    }
    if ($PSCmdlet.ShouldProcess("$TaskPath$name", 'unregister scheduled task')) {
        Unregister-ScheduledTask -TaskName $name -TaskPath $TaskPath -Confirm:$false
        Write-Host "Removed scheduled task $TaskPath$name. The state in $StateDirectory and the event source $EventSource stay."
    }
}
#endregion

#region Azure edge: identity and Key Vault
$KeyVaultResource = $null

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
    $result = Invoke-RestMethod -Uri (Get-ImdsTokenUri $KeyVaultResource $ClientId) -Headers @{ Metadata = 'true' } -TimeoutSec 5 -UseBasicParsing
    return $result.access_token
}

function Get-AccessToken {
    switch ($IdentitySource) {
        'Arc' {
            if ($ClientId) { throw '-ClientId selects a user-assigned identity on an Azure VM; an Arc-enabled server has only its system-assigned identity.' }
            return Get-ArcToken
        }
        'Imds' { return Get-ImdsToken }
        'AzPowerShell' { return $null }
    }
    if ($env:IDENTITY_ENDPOINT -and $env:IMDS_ENDPOINT -and -not $ClientId) { return Get-ArcToken }
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
#endregion

#region Run
if ($PSCmdlet.ParameterSetName -eq 'Install') {
    try { Install-SubmitTask; exit 0 } catch { Write-Error "Submit-SyncAgentKey -Install failed: $($_.Exception.Message)" -ErrorAction Continue; exit 1 }
}
if ($PSCmdlet.ParameterSetName -eq 'Uninstall') {
    try { Uninstall-SubmitTask; exit 0 } catch { Write-Error "Submit-SyncAgentKey -Uninstall failed: $($_.Exception.Message)" -ErrorAction Continue; exit 1 }
}

$secret = $null
$password = $null
$token = $null
$version = $null
try {
    if (-not (Test-Path -LiteralPath $AgentCommandPath)) { throw "SqlDataSyncAgentCommand.exe not found at $AgentCommandPath (use -AgentCommandPath)." }
    $vaultUrl = Get-VaultUrl $VaultName
    $KeyVaultResource = Get-KeyVaultResource $vaultUrl
    $token = Get-AccessToken
    $state = Read-SubmissionState $StateDirectory $SecretName

    $secret = Read-Secret $vaultUrl $SecretName $token
    $version = $secret.Version
    if (-not $secret.Value) { throw "Secret $SecretName in $vaultUrl is empty." }
    if ($SyncAgentId) {
        $tagged = $secret.Tags['syncAgentId']
        if (-not $tagged -or -not [string]::Equals($tagged, $SyncAgentId, [StringComparison]::OrdinalIgnoreCase)) {
            throw "Secret $SecretName is tagged for agent '$tagged', not '$SyncAgentId': refusing to submit it."
        }
    }
    $rotatedAt = $secret.Tags['rotatedAt']
    Write-Host "Newest version of $SecretName is $version$(if ($rotatedAt) { " (rotated at $rotatedAt)" })."

    $decision = Get-RunDecision $state $version $Force.IsPresent
    switch ($decision) {
        'Nothing' {
            Write-Host 'This version was already submitted and the sync service answered; nothing to do.'
            exit 0
        }
        'AlreadySeen' {
            $message = Format-RunMessage 'Not submitted: this version was submitted before and an agent key can be used once' $SecretName $version 'Rotate the key again (the syncAgentKeyRotation function) to give the agent a new one.'
            Write-Warning $message
            Write-RunEvent 'AlreadySeen' Warning $message
            exit 0
        }
        'PingOnly' {
            $ping = Invoke-AgentTool (Get-PingArguments) @()
            if ($ping.ExitCode -eq 0) {
                Write-SubmissionState $StateDirectory (Set-PingResult $state $true (Get-Date))
                Write-RunEvent 'PingRecovered' Information (Format-RunMessage 'The sync service answers again after the last submission' $SecretName $version $ping.Output)
                exit 0
            }
            Write-SubmissionState $StateDirectory (Set-PingResult $state $false (Get-Date))
            $message = Format-RunMessage "SqlDataSyncAgentCommand.exe -action pingsyncservice still fails (exit code $($ping.ExitCode)) after this version was submitted" $SecretName $version $ping.Output
            Write-RunEvent 'PingFailed' Error $message
            Write-Error $message -ErrorAction Continue
            exit 1
        }
    }

    if ($PSCmdlet.ParameterSetName -eq 'VaultPassword') {
        $user = $UserName
        $password = (Read-Secret $vaultUrl $PasswordSecretName $token).Value
    } else {
        $user = $Credential.UserName
        $password = $Credential.GetNetworkCredential().Password
    }

    if (-not $PSCmdlet.ShouldProcess('local Data Sync Agent', "submit agent key version $version")) { exit 0 }
    $submit = Invoke-AgentTool (Get-SubmitKeyArguments $secret.Value $user $password) @($secret.Value, $password)
    if ($submit.ExitCode -ne 0) {
        $message = Format-RunMessage "Submit failed: SqlDataSyncAgentCommand.exe exited with code $($submit.ExitCode)" $SecretName $version $submit.Output
        Write-RunEvent 'SubmitFailed' Error $message
        Write-Error $message -ErrorAction Continue
        exit 1
    }
    $state = Add-SubmittedVersion $state $version (Get-Date)
    Write-SubmissionState $StateDirectory $state
    Write-Host "Submitted agent key version $version to the local Data Sync Agent."

    $ping = Invoke-AgentTool (Get-PingArguments) @($secret.Value, $password)
    $state = Set-PingResult $state ($ping.ExitCode -eq 0) (Get-Date)
    Write-SubmissionState $StateDirectory $state
    if ($ping.ExitCode -ne 0) {
        $message = Format-RunMessage "Submitted, but SqlDataSyncAgentCommand.exe -action pingsyncservice exited with code $($ping.ExitCode)" $SecretName $version "$($ping.Output) Check the agent service, outbound TCP 1433 and the sync metadata database firewall."
        Write-RunEvent 'PingFailed' Error $message
        Write-Error $message -ErrorAction Continue
        exit 1
    }
    Write-RunEvent 'Submitted' Information (Format-RunMessage 'Submitted and the sync service answers' $SecretName $version $ping.Output)
    exit 0
} catch {
    # Messages here name the vault, the secret, the version and the step; none of them can hold the key.
    $message = Format-RunMessage "Run failed: $($_.Exception.Message)" $SecretName $version ''
    Write-RunEvent 'RunFailed' Error $message
    Write-Error "Submit-SyncAgentKey failed: $($_.Exception.Message)" -ErrorAction Continue
    exit 1
} finally {
    $secret = $null
    $password = $null
    $token = $null
}
#endregion
