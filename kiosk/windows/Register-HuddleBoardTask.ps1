<#
.SYNOPSIS
Registers a Task Scheduler task that starts the huddle board at logon.

.DESCRIPTION
Registers (or replaces: safe to run again) a scheduled task that runs Start-HuddleBoard.ps1,
from the same folder as this script, when the kiosk's user logs on, so the board opens full
screen in Windows Terminal. The task runs with the user's ordinary rights, has no time limit and
does not start a second board while one runs. Run from an elevated PowerShell when registering
the task for another user.

.PARAMETER VenvPath
The virtual environment holding huddle-board, for example C:\HuddleBoard\venv.

.PARAMETER SettingsPath
The board's settings file (TOML). Default: C:\ProgramData\HuddleBoard\settings.toml.

.PARAMETER User
The account that logs on at the kiosk. Default: the current user (DOMAIN\name).

.PARAMETER TaskName
The task's name in Task Scheduler. Default: "Huddle board".

.EXAMPLE
.\Register-HuddleBoardTask.ps1 -VenvPath C:\HuddleBoard\venv

.EXAMPLE
.\Register-HuddleBoardTask.ps1 -VenvPath C:\HuddleBoard\venv -User WARD7A\kiosk

.EXAMPLE
Unregister-ScheduledTask -TaskName 'Huddle board' -Confirm:$false   # remove it again
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string]$VenvPath,

    [string]$SettingsPath = (Join-Path $env:ProgramData 'HuddleBoard\settings.toml'),

    [string]$User = "$env:USERDOMAIN\$env:USERNAME",

    [string]$TaskName = 'Huddle board'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$launcher = Join-Path $PSScriptRoot 'Start-HuddleBoard.ps1'
if (-not (Test-Path -LiteralPath $launcher)) {
    throw "Start-HuddleBoard.ps1 must be next to this script ($PSScriptRoot)."
}
if (-not (Test-Path -LiteralPath (Join-Path $VenvPath 'Scripts\huddle-board.exe'))) {
    throw "huddle-board is not in ${VenvPath}: give the virtual environment's folder."
}

$arguments = "-NoLogo -NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden " +
    "-File `"$launcher`" -VenvPath `"$VenvPath`" -SettingsPath `"$SettingsPath`""
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments
$trigger = New-ScheduledTaskTrigger -AtLogOn -User $User
$principal = New-ScheduledTaskPrincipal -UserId $User -LogonType Interactive -RunLevel Limited
$settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
    -ExecutionTimeLimit ([TimeSpan]::Zero) -MultipleInstances IgnoreNew

Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
    -Principal $principal -Settings $settings -Force `
    -Description 'Opens the huddle board full screen in Windows Terminal at logon.' | Out-Null
Write-Host "Registered '$TaskName': the board starts when $User logs on."
