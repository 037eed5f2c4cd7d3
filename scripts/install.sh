#!/bin/sh
# Installs pup from its release archives (POSIX sh: dash, bash, busybox ash, zsh).
#
#   curl -fsSL https://github.com/pup-cli/pup/releases/latest/download/install.sh | sh
#   sh scripts/install.sh
#
# It detects the OS (Linux, macOS), the CPU (x64, arm64) and on Linux the C library (glibc or
# musl, e.g. Alpine), downloads SHA256SUMS and the archive pup-<version>-<target>.tar.gz,
# verifies the archive's SHA-256 against SHA256SUMS before anything is unpacked or installed,
# checks that the binary runs here (staged in the target folder), and moves it into place
# atomically (a rename in that folder: a running pup or a concurrent install never sees half a
# file).
#
# Environment:
#   PUP_VERSION           the version to install, e.g. 0.1.0 (default: the latest release)
#   PUP_INSTALL_DIR       the folder to install into (default: ~/.local/bin)
#   PUP_INSTALL_BASE_URL  where SHA256SUMS and the archives are (default: the release page of
#                         PUP_VERSION, or of the latest release); a folder like dist/ works
#   PUP_REPO              the GitHub repository of the default base URL (default: pup-cli/pup)
# Windows: use scripts/install.ps1.
set -eu

REPO="${PUP_REPO:-pup-cli/pup}"
VERSION="${PUP_VERSION:-}"
INSTALL_DIR="${PUP_INSTALL_DIR:-${HOME:?HOME is not set: set PUP_INSTALL_DIR}/.local/bin}"

say() { printf 'pup-install: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

case "$VERSION" in
  "" | [0-9]*) ;;
  v[0-9]*) VERSION="${VERSION#v}" ;;
  *) die "PUP_VERSION must look like 0.1.0, found \"$VERSION\"" ;;
esac
case "$VERSION" in
  *[!0-9A-Za-z.+-]*) die "PUP_VERSION must look like 0.1.0, found \"$VERSION\"" ;;
esac

if [ -n "${PUP_INSTALL_BASE_URL:-}" ]; then
  BASE_URL="${PUP_INSTALL_BASE_URL%/}"
elif [ -n "$VERSION" ]; then
  BASE_URL="https://github.com/$REPO/releases/download/v$VERSION"
else
  BASE_URL="https://github.com/$REPO/releases/latest/download"
fi

detect_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) die "on Windows use install.ps1 (PowerShell)" ;;
    *) die "no pup release for the operating system $(uname -s): expected Linux or macOS" ;;
  esac
}

detect_arch() {
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no pup release for the CPU $arch: expected x86_64 or arm64 (aarch64)" ;;
  esac
  # A shell under Rosetta reports x86_64 on Apple silicon: the native binary is better.
  if [ "$1" = darwin ] && [ "$arch" = x64 ] &&
    [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
  fi
  echo "$arch"
}

# glibc or musl: glibc answers getconf GNU_LIBC_VERSION; musl's loader is /lib/ld-musl-*.so.1
# and its ldd says "musl".
detect_libc() {
  if getconf GNU_LIBC_VERSION >/dev/null 2>&1; then
    echo glibc
    return
  fi
  for loader in /lib/ld-musl-*.so.1; do
    if [ -e "$loader" ]; then
      echo musl
      return
    fi
  done
  if ldd --version 2>&1 | grep -qi musl; then echo musl; else echo glibc; fi
}

download() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1" || die "could not download $1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "could not download $1"
  else
    die "curl or wget is needed to download pup"
  fi
}

sha256() { # file -> hex digest
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/^.*= *//'
  else
    die "sha256sum, shasum or openssl is needed to verify the download"
  fi
}

OS="$(detect_os)"
ARCH="$(detect_arch "$OS")"
TARGET="$OS-$ARCH"
if [ "$OS" = linux ] && [ "$(detect_libc)" = musl ]; then TARGET="$TARGET-musl"; fi

TMP="$(mktemp -d 2>/dev/null || mktemp -d -t pup-install)"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

say "downloading SHA256SUMS from $BASE_URL"
download "$BASE_URL/SHA256SUMS" "$TMP/SHA256SUMS"

# The archive's line in SHA256SUMS: "<64 hex>  pup-<version>-<target>.tar.gz".
if [ -n "$VERSION" ]; then
  ARCHIVE="pup-$VERSION-$TARGET.tar.gz"
  LINE="$(grep -E "^[0-9a-f]{64}  $(printf '%s' "$ARCHIVE" | sed 's/[.+]/\\&/g')\$" "$TMP/SHA256SUMS" || true)"
else
  LINE="$(grep -E "^[0-9a-f]{64}  pup-[0-9][0-9A-Za-z.+-]*-$TARGET\\.tar\\.gz\$" "$TMP/SHA256SUMS" | head -n 1 || true)"
  ARCHIVE="${LINE#*  }"
fi
[ -n "$LINE" ] || die "SHA256SUMS at $BASE_URL lists no archive for $TARGET${VERSION:+ of version $VERSION}"
EXPECTED="${LINE%%  *}"
VERSION="${ARCHIVE#pup-}"
VERSION="${VERSION%-"$TARGET".tar.gz}"

say "downloading $ARCHIVE ($TARGET)"
download "$BASE_URL/$ARCHIVE" "$TMP/$ARCHIVE"

ACTUAL="$(sha256 "$TMP/$ARCHIVE")"
if [ "$ACTUAL" != "$EXPECTED" ]; then
  die "checksum mismatch for $ARCHIVE: SHA256SUMS says $EXPECTED, the download is $ACTUAL; nothing was installed"
fi
say "checksum verified ($EXPECTED)"

mkdir "$TMP/unpacked"
(cd "$TMP/unpacked" && gzip -dc "../$ARCHIVE" | tar -xf - pup) ||
  die "could not unpack pup from $ARCHIVE; nothing was installed"
[ -f "$TMP/unpacked/pup" ] || die "$ARCHIVE holds no pup binary; nothing was installed"
chmod 755 "$TMP/unpacked/pup"

mkdir -p "$INSTALL_DIR" || die "could not create $INSTALL_DIR (set PUP_INSTALL_DIR)"
STAGED="$INSTALL_DIR/.pup.install.$$"
cp "$TMP/unpacked/pup" "$STAGED" || die "could not write to $INSTALL_DIR (set PUP_INSTALL_DIR)"
trap 'rm -rf "$TMP"; rm -f "$STAGED"' EXIT
chmod 755 "$STAGED"
# Run it from where it will live (a noexec /tmp must not stop the install).
if ! RAN="$("$STAGED" --version 2>&1)"; then
  say "the downloaded pup does not run here: $RAN"
  case "$TARGET" in
    *-musl) say "the musl build needs libstdc++ (on Alpine: apk add libstdc++)" ;;
  esac
  die "nothing was installed"
fi
mv -f "$STAGED" "$INSTALL_DIR/pup" || die "could not move pup into $INSTALL_DIR"
say "installed $RAN to $INSTALL_DIR/pup"

case ":${PATH:-}:" in
  *":$INSTALL_DIR:"*) ;;
  *)
    say "$INSTALL_DIR is not on your PATH; add it, e.g.:"
    say "  echo 'export PATH=\"$INSTALL_DIR:\$PATH\"' >> ~/.profile && . ~/.profile"
    ;;
esac
