#!/usr/bin/env bash
# Firebird 3.0 server from Debian's packages, SYSDBA password set non-interactively, started
# without systemd on 127.0.0.1:3050. Idempotent: run it as often as you like (CI runs it).
#   FIREBIRD_PASSWORD  SYSDBA password for a first install (default: masterkey)
#   FIREBIRD_PORT      port to wait for (default: 3050)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PASSWORD="${FIREBIRD_PASSWORD:-masterkey}"
PORT="${FIREBIRD_PORT:-3050}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") >/dev/null 2>&1; }

if ! dpkg-query -W -f='${Status}' firebird3.0-server 2>/dev/null | grep -q "ok installed" \
   || ! dpkg-query -W -f='${Status}' firebird3.0-utils 2>/dev/null | grep -q "ok installed" \
   || ! dpkg-query -W -f='${Status}' libfbclient2 2>/dev/null | grep -q "ok installed"; then
  echo "instalando firebird3.0-server, firebird3.0-utils y libfbclient2"
  # Without this answer the package picks a random SYSDBA password.
  echo "firebird3.0-server shared/firebird/sysdba_password/first_install password ${PASSWORD}" \
    | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -q firebird3.0-server firebird3.0-utils libfbclient2 >/dev/null
fi

# Databases the demo builder creates live here; the server runs as user firebird.
$SUDO mkdir -p /var/lib/firebird/data
$SUDO chown firebird:firebird /var/lib/firebird/data

if ! port_open; then
  echo "arrancando Firebird 3.0 (sin systemd)"
  $SUDO /etc/init.d/firebird3.0 start >/dev/null || true
fi

for _ in $(seq 1 60); do
  if port_open; then
    echo "Firebird escucha en 127.0.0.1:${PORT}"
    exit 0
  fi
  sleep 0.5
done
echo "Firebird no respondió en 127.0.0.1:${PORT} tras 30 s" >&2
exit 1
