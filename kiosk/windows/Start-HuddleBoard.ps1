<#
.SYNOPSIS
Starts the huddle board full screen in Windows Terminal, in kiosk mode.

.DESCRIPTION
Opens Windows Terminal full screen (wt.exe --fullscreen) running huddle-board from the given
virtual environment with --kiosk and the given settings file. Inside the terminal the board is
started again 2 seconds after it fails (as the Linux kiosk's systemd unit does); when it exits
normally (an admin left kiosk mode with the PIN) the terminal closes.

Register-HuddleBoardTask.ps1 runs this script at logon through Task Scheduler.

.PARAMETER VenvPath
The virtual environment holding huddle-board, for example C:\HuddleBoard\venv (the board is
Scripts\huddle-board.exe inside it).

.PARAMETER SettingsPath
The board's settings file (TOML). Default: C:\ProgramData\HuddleBoard\settings.toml.

.PARAMETER Inside
Used by the script itself: run the board (and restart it on failure) in the current console
instead of opening Windows Terminal.

.EXAMPLE
.\Start-HuddleBoard.ps1 -VenvPath C:\HuddleBoard\venv

.EXAMPLE
.\Start-HuddleBoard.ps1 -VenvPath C:\HuddleBoard\venv -SettingsPath D:\board\settings.toml
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string]$VenvPath,

    [string]$SettingsPath = (Join-Path $env:ProgramData 'HuddleBoard\settings.toml'),

    [switch]$Inside
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$board = Join-Path $VenvPath 'Scripts\huddle-board.exe'
if (-not (Test-Path -LiteralPath $board)) {
    throw "huddle-board is not in $VenvPath (no $board): give the virtual environment's folder."
}

if ($Inside) {
    # Textual needs UTF-8 and a modern terminal: Windows Terminal gives both.
    $env:PYTHONUTF8 = '1'
    while ($true) {
        & $board --settings $SettingsPath --kiosk
        if ($LASTEXITCODE -eq 0) { break }
        Write-Warning "huddle-board stopped (exit code $LASTEXITCODE); starting it again in 2 s."
        Start-Sleep -Seconds 2
    }
    return
}

$wt = Get-Command 'wt.exe' -ErrorAction SilentlyContinue
if (-not $wt) {
    throw 'Windows Terminal (wt.exe) is not installed: winget install Microsoft.WindowsTerminal'
}
$shell = (Get-Process -Id $PID).Path  # the same PowerShell (Windows PowerShell or pwsh)
# wt.exe reads ';' as a separator of its own commands: none may appear in the paths.
foreach ($path in @($PSCommandPath, $VenvPath, $SettingsPath)) {
    if ($path.Contains(';')) { throw "A path with ';' cannot be passed through wt.exe: $path" }
}
$arguments = @(
    '--fullscreen', 'new-tab', '--title', '"Huddle board"', '--suppressApplicationTitle',
    "`"$shell`"", '-NoLogo', '-NoProfile', '-ExecutionPolicy', 'Bypass',
    '-File', "`"$PSCommandPath`"", '-VenvPath', "`"$VenvPath`"",
    '-SettingsPath', "`"$SettingsPath`"", '-Inside'
)
Start-Process -FilePath $wt.Source -ArgumentList $arguments
