#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python: chromium (browser tests drive it through
# Playwright), fonts-wqy-microhei (Chinese text in screenshots) and gettext (compilemessages).
# Called by `make test` and so by .ci/run: installs what is missing when it can (root, or sudo
# without a password), otherwise stops at once with the one command to run.
set -euo pipefail

packages=(gettext chromium fonts-wqy-microhei)
# A chromium elsewhere (SANHUA_CHROMIUM, read by tests/browser/conftest.py) stands in for Debian's.
if [ -n "${SANHUA_CHROMIUM:-}" ] && [ -x "${SANHUA_CHROMIUM}" ]; then
  packages=(gettext fonts-wqy-microhei)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "The test suite needs these Debian packages: ${missing[*]}" >&2
  echo "Install them once with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "== installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
