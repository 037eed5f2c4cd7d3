/**
 * @module
 * The PowerShell script behind Windows Credential Manager (`keychain_windows.ts`), and the
 * protocol pup speaks with it. The script is fixed text, passed with `-EncodedCommand`: it
 * declares CredReadW/CredWriteW/CredDeleteW with `Add-Type` and then serves requests read from
 * stdin. Secrets travel only on stdin and stdout — never in argv, and never in the script text,
 * which Script Block Logging (event 4104) would record.
 *
 * ## The protocol between pup and the script ("pup-wincred protocol 1")
 *
 * stdin, one request a line (ASCII): `get <account>`, `set <account> <base64 value>`,
 * `del <account>`. stdout, one answer a line, in order: the Win32 error code of the call
 * (`0` success, `1168` ERROR_NOT_FOUND, `1312` ERROR_NO_SUCH_LOGON_SESSION, `87` for a blob
 * over 2,560 bytes, any other code as Windows gave it), and for a successful `get`,
 * `0 <base64 blob>`. Exit status: `0` every request answered; `3` a malformed request (a bug
 * in pup); `4` `Add-Type` failed (Constrained Language Mode, no compiler); anything else is
 * PowerShell's own failure (its message on stderr).
 */
import { Buffer } from "node:buffer";

/** The script's exit statuses (see the module doc). */
export const WINCRED_EXIT = { ok: 0, malformed: 3, addTypeFailed: 4 } as const;

/** The fixed PowerShell script; it never contains a secret. */
export const WINCRED_SCRIPT =
  `# pup-wincred protocol 1 (lib/store/keychain_windows.ts): requests on stdin, never in
# this text or argv: "get <account>", "set <account> <base64 blob>", "del <account>".
# One answer line per request on stdout: the Win32 error code, "0 <base64 blob>" for a get.
# Exit 0: every request answered; 3: malformed request; 4: Add-Type failed.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
  Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
public static class PupWinCred {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  private struct CREDENTIAL {
    public uint Flags;
    public uint Type;
    public string TargetName;
    public string Comment;
    public System.Runtime.InteropServices.ComTypes.FILETIME LastWritten;
    public uint CredentialBlobSize;
    public IntPtr CredentialBlob;
    public uint Persist;
    public uint AttributeCount;
    public IntPtr Attributes;
    public string TargetAlias;
    public string UserName;
  }
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredReadW(string target, uint type, uint flags, out IntPtr credential);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredWriteW(ref CREDENTIAL credential, uint flags);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredDeleteW(string target, uint type, uint flags);
  [DllImport("advapi32.dll")]
  private static extern void CredFree(IntPtr buffer);
  private const uint CRED_TYPE_GENERIC = 1;
  private const uint CRED_PERSIST_LOCAL_MACHINE = 2;

  public static int Read(string target, out byte[] blob) {
    blob = new byte[0];
    IntPtr p;
    if (!CredReadW(target, CRED_TYPE_GENERIC, 0, out p)) return Marshal.GetLastWin32Error();
    try {
      CREDENTIAL c = (CREDENTIAL)Marshal.PtrToStructure(p, typeof(CREDENTIAL));
      blob = new byte[c.CredentialBlobSize];
      if (c.CredentialBlobSize > 0) Marshal.Copy(c.CredentialBlob, blob, 0, blob.Length);
    } finally {
      CredFree(p);
    }
    return 0;
  }

  public static int Write(string target, string user, byte[] blob) {
    CREDENTIAL c = new CREDENTIAL();
    c.Type = CRED_TYPE_GENERIC;
    c.TargetName = target;
    c.UserName = user;
    c.Persist = CRED_PERSIST_LOCAL_MACHINE;
    c.CredentialBlobSize = (uint)blob.Length;
    c.CredentialBlob = Marshal.AllocHGlobal(Math.Max(blob.Length, 1));
    try {
      Marshal.Copy(blob, 0, c.CredentialBlob, blob.Length);
      if (!CredWriteW(ref c, 0)) return Marshal.GetLastWin32Error();
      return 0;
    } finally {
      Marshal.Copy(new byte[blob.Length], 0, c.CredentialBlob, blob.Length);
      Marshal.FreeHGlobal(c.CredentialBlob);
    }
  }

  public static int Delete(string target) {
    if (!CredDeleteW(target, CRED_TYPE_GENERIC, 0)) return Marshal.GetLastWin32Error();
    return 0;
  }
}
'@
} catch {
  [Console]::Error.WriteLine('pup-wincred: Add-Type failed: ' + $_.Exception.Message)
  exit 4
}
$in = [Console]::In
$out = [Console]::Out
while ($true) {
  $line = $in.ReadLine()
  if ($null -eq $line) { break }
  if ($line -eq '') { continue }
  $parts = $line.Split(' ')
  if ($parts.Length -lt 2 -or $parts[1] -eq '') {
    [Console]::Error.WriteLine('pup-wincred: malformed request')
    exit 3
  }
  $target = 'pup:' + $parts[1]
  if ($parts[0] -eq 'get' -and $parts.Length -eq 2) {
    $blob = $null
    $code = [PupWinCred]::Read($target, [ref]$blob)
    if ($code -eq 0) { $out.WriteLine('0 ' + [Convert]::ToBase64String($blob)) }
    else { $out.WriteLine([string]$code) }
  } elseif ($parts[0] -eq 'set' -and $parts.Length -eq 3) {
    $blob = [Convert]::FromBase64String($parts[2])
    if ($blob.Length -gt 2560) { $out.WriteLine('87') }
    else { $out.WriteLine([string][PupWinCred]::Write($target, $parts[1], $blob)) }
  } elseif ($parts[0] -eq 'del' -and $parts.Length -eq 2) {
    $out.WriteLine([string][PupWinCred]::Delete($target))
  } else {
    [Console]::Error.WriteLine('pup-wincred: malformed request')
    exit 3
  }
}
$out.Flush()
exit 0
`;

/** PowerShell's `-EncodedCommand` form of a script: base64 of its UTF-16LE text. */
export function encodePowerShell(script: string): string {
  return Buffer.from(script, "utf16le").toString("base64");
}
