#!/usr/bin/env bash
# Installs the system tools the test suite needs (real PDFs tools, a real browser, the
# compose file checker), or stops naming what is missing.
set -euo pipefail
declare -A package_of=(
  [qpdf]=qpdf [gs]=ghostscript [pdftoppm]=poppler-utils [chromium]=chromium
  [docker-compose]=docker-compose [redis-server]=redis-server
)
missing=()
for bin in "${!package_of[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${package_of[$bin]}")
done
# Chinese, Japanese and Korean glyphs: embedded (subset) into watermarks, and for the browser.
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]} — install them (e.g. sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
