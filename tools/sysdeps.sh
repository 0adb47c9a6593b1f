#!/bin/sh
# Installs the Debian packages sowpack needs, only when missing.
#   sh tools/sysdeps.sh          Chinese PDFs (a CJK font, HarfBuzz subsetting, poppler) and diagrams (Graphviz)
#   sh tools/sysdeps.sh --test   the same, plus Chromium (the tests open each pack's index.html in it)
set -e
PKGS="libharfbuzz-subset0 fonts-noto-cjk poppler-utils graphviz"
[ "$1" = "--test" ] && PKGS="$PKGS chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "sowpack needs these system packages:$missing" >&2
  echo "install them as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
echo "installing system packages:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
