#!/bin/sh
# The Debian packages the tests need beyond Python: Chromium (the verifier page is tested in a real headless
# browser, and `vctrade render --pdf` prints with it), poppler-utils (pdftoppm turns a rendered PDF into an
# image) and softhsm2 (the token the PKCS#11 key tests sign in). Installed only when missing; needs root (these
# machines run as root — elsewhere run it with sudo).
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v softhsm2-util >/dev/null 2>&1 || missing="$missing softhsm2"  # a real PKCS#11 token (tests/keys/test_pkcs11.py)
# a real PostgreSQL server for the registry's PostgreSQL tests (tests/conftest.py starts its own; Debian keeps the
# binaries off PATH, in /usr/lib/postgresql/<version>/bin)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tests/system-packages.sh: missing$missing; run it as root (sudo sh tests/system-packages.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
