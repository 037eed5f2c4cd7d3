#!/usr/bin/env bash
# Runs a command against a private, unlocked gnome-keyring on a private D-Bus session bus, so
# tests can exercise the real `secret-tool` (TOOLCHAIN.md "A real Secret Service, headless").
#
#   scripts/with-keyring.sh node_modules/.bin/bun test ./tests/keychain_secret_service.test.ts
#
# Every run gets a fresh temporary HOME and XDG folders (removed afterwards), so it never sees
# or touches the user's own keyring. The command runs with PUP_TEST_SECRET_SERVICE=1 exported;
# its exit status is the script's. Needs: apt-get install -y libsecret-tools gnome-keyring dbus
set -euo pipefail

if [ -z "${PUP_WITH_KEYRING_INNER:-}" ]; then
  [ "$#" -gt 0 ] || { echo "usage: scripts/with-keyring.sh <command> [args...]" >&2; exit 2; }
  for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "with-keyring.sh: $tool not found; install it with:" \
        "apt-get install -y libsecret-tools gnome-keyring dbus" >&2
      exit 127
    fi
  done
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/pup-keyring.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
  chmod 700 "$tmp/run"
  status=0
  HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
    XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" PUP_WITH_KEYRING_INNER=1 \
    dbus-run-session -- "$0" "$@" || status=$?
  exit "$status"
fi

# Inside the private bus. Start the keyring before anything asks for org.freedesktop.secrets:
# otherwise D-Bus activation may start a second, locked keyring.
unset PUP_WITH_KEYRING_INNER
printf '%s' "pup-test-keyring" |
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$XDG_RUNTIME_DIR/gnome-keyring.log" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true' EXIT

has_owner() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true'
}
tries=0
until has_owner; do
  tries=$((tries + 1))
  if [ "$tries" -ge 100 ] || ! kill -0 "$daemon" 2>/dev/null; then
    echo "with-keyring.sh: gnome-keyring did not take org.freedesktop.secrets within 10 s" >&2
    cat "$XDG_RUNTIME_DIR/gnome-keyring.log" >&2 || true
    exit 1
  fi
  sleep 0.1
done

export PUP_TEST_SECRET_SERVICE=1
status=0
"$@" || status=$?
exit "$status"
