#!/usr/bin/env bash
# Installs the Debian packages Disentangle needs (OCR, PDF tools, PDF rendering, browser tests)
# when they are missing. Safe to run again: it does nothing when all are present.
set -euo pipefail
packages=(tesseract-ocr tesseract-ocr-eng poppler-utils chromium chromium-driver
          libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core fonts-dejavu-extra)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || { echo "system-deps: missing ${missing[*]} and not root; install them with apt-get" >&2; exit 1; }
else
  SUDO=
fi
echo "system-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
