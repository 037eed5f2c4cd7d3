# Installs pup on Windows from its release archive (Windows PowerShell 5.1 and PowerShell 7).
#
#   irm https://github.com/pup-cli/pup/releases/latest/download/install.ps1 | iex
#   powershell -ExecutionPolicy Bypass -File scripts\install.ps1
#
# The same steps as scripts/install.sh: download SHA256SUMS and pup-<version>-windows-x64.zip,
# verify the archive's SHA-256 against SHA256SUMS before anything is unpacked or installed,
# check that pup.exe runs, then move it into place (a rename inside the target folder), and say
# how to put the folder on PATH.
#
# Environment:
#   PUP_VERSION           the version to install, e.g. 0.1.0 (default: the latest release)
#   PUP_INSTALL_DIR       the folder (default: %LOCALAPPDATA%\Programs\pup\bin)
#   PUP_INSTALL_BASE_URL  where SHA256SUMS and the archives are (default: the release page)
#   PUP_REPO              the GitHub repository of the default base URL (default: pup-cli/pup)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0
# Windows PowerShell 5.1 may default to TLS 1.0; GitHub needs 1.2.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
# Invoke-WebRequest's progress bar makes 5.1 download many times slower.
$ProgressPreference = 'SilentlyContinue'

function Say([string]$Message) { [Console]::Error.WriteLine("pup-install: $Message") }
function Die([string]$Message) {
  Say "error: $Message"
  exit 1
}

$repo = if ($env:PUP_REPO) { $env:PUP_REPO } else { 'pup-cli/pup' }
$version = if ($env:PUP_VERSION) { $env:PUP_VERSION -replace '^v', '' } else { '' }
if ($version -and $version -notmatch '^[0-9][0-9A-Za-z.+-]*$') {
  Die "PUP_VERSION must look like 0.1.0, found `"$($env:PUP_VERSION)`""
}
$installDir = if ($env:PUP_INSTALL_DIR) { $env:PUP_INSTALL_DIR } else {
  Join-Path $env:LOCALAPPDATA 'Programs\pup\bin'
}
if ($env:PUP_INSTALL_BASE_URL) {
  $baseUrl = $env:PUP_INSTALL_BASE_URL.TrimEnd('/')
} elseif ($version) {
  $baseUrl = "https://github.com/$repo/releases/download/v$version"
} else {
  $baseUrl = "https://github.com/$repo/releases/latest/download"
}

$arch = $env:PROCESSOR_ARCHITECTURE
if ($env:PROCESSOR_ARCHITEW6432) { $arch = $env:PROCESSOR_ARCHITEW6432 }
# ARM64 Windows runs x64 programs under emulation; there is no native arm64 build yet.
if ($arch -ne 'AMD64' -and $arch -ne 'ARM64') {
  Die "no pup release for the CPU $arch`: expected AMD64 (x64) or ARM64 (runs the x64 build)"
}
$target = 'windows-x64'

$tmp = Join-Path ([IO.Path]::GetTempPath()) ("pup-install-" + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  Say "downloading SHA256SUMS from $baseUrl"
  $sumsFile = Join-Path $tmp 'SHA256SUMS'
  try { Invoke-WebRequest -UseBasicParsing -Uri "$baseUrl/SHA256SUMS" -OutFile $sumsFile }
  catch { Die "could not download $baseUrl/SHA256SUMS: $($_.Exception.Message)" }

  $pattern = if ($version) {
    '^([0-9a-f]{64})  (' + [Regex]::Escape("pup-$version-$target.zip") + ')$'
  } else {
    '^([0-9a-f]{64})  (pup-[0-9][0-9A-Za-z.+-]*-' + $target + '\.zip)$'
  }
  $match = $null
  foreach ($line in Get-Content -LiteralPath $sumsFile) {
    $m = [Regex]::Match($line, $pattern)
    if ($m.Success) { $match = $m; break }
  }
  if (-not $match) {
    $of = if ($version) { " of version $version" } else { '' }
    Die "SHA256SUMS at $baseUrl lists no archive for $target$of"
  }
  $expected = $match.Groups[1].Value
  $archive = $match.Groups[2].Value

  Say "downloading $archive ($target)"
  $zipFile = Join-Path $tmp $archive
  try { Invoke-WebRequest -UseBasicParsing -Uri "$baseUrl/$archive" -OutFile $zipFile }
  catch { Die "could not download $baseUrl/$archive`: $($_.Exception.Message)" }

  $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $zipFile).Hash.ToLowerInvariant()
  if ($actual -ne $expected) {
    Die "checksum mismatch for $archive`: SHA256SUMS says $expected, the download is $actual; nothing was installed"
  }
  Say "checksum verified ($expected)"

  $unpacked = Join-Path $tmp 'unpacked'
  try { Expand-Archive -LiteralPath $zipFile -DestinationPath $unpacked }
  catch { Die "could not unpack $archive`: $($_.Exception.Message); nothing was installed" }
  $exe = Join-Path $unpacked 'pup.exe'
  if (-not (Test-Path -LiteralPath $exe -PathType Leaf)) { Die "$archive holds no pup.exe; nothing was installed" }

  try { $ran = (& $exe --version 2>&1 | Out-String).Trim() }
  catch { Die "the downloaded pup.exe does not run here: $($_.Exception.Message); nothing was installed" }
  if ($LASTEXITCODE -ne 0) { Die "the downloaded pup.exe does not run here: $ran; nothing was installed" }

  New-Item -ItemType Directory -Force -Path $installDir | Out-Null
  $staged = Join-Path $installDir ".pup.install.$PID.exe"
  $dest = Join-Path $installDir 'pup.exe'
  Copy-Item -LiteralPath $exe -Destination $staged -Force
  try { Move-Item -LiteralPath $staged -Destination $dest -Force }
  catch {
    Remove-Item -LiteralPath $staged -Force -ErrorAction SilentlyContinue
    Die "could not move pup.exe into $installDir (is pup running?): $($_.Exception.Message)"
  }
  Say "installed $ran to $dest"

  $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
  $onPath = @(($env:Path -split ';') + ($userPath -split ';')) | Where-Object { $_.TrimEnd('\') -ieq $installDir.TrimEnd('\') }
  if (-not $onPath) {
    Say "$installDir is not on your PATH; add it for your user with:"
    Say "  [Environment]::SetEnvironmentVariable('Path', `"$installDir;`" + [Environment]::GetEnvironmentVariable('Path', 'User'), 'User')"
    Say "then open a new terminal"
  }
} finally {
  Remove-Item -LiteralPath $tmp -Recurse -Force -ErrorAction SilentlyContinue
}
