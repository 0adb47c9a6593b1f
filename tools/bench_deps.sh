#!/bin/sh
# Installs what `make bench` compares sowpack with, only when missing: pandoc and LibreOffice
# Writer (Debian packages) and XlsxWriter (the venv's `bench` extra). `make test` needs none of them.
set -e
PKGS="pandoc libreoffice-writer-nogui"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "the benchmark compares with:$missing" >&2
    echo "install them as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
  fi
  echo "installing the benchmark's peers:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
