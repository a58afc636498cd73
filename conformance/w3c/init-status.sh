#!/usr/bin/env bash
# init-status.sh VCTRADE_BIN SERVICE_DIR BASE_URL
# Revocation, suspension and message lists for the "bsl" issuer (anam-mx.jwk), published at BASE_URL/status/…,
# in the registry the service uses; then publish them once so they exist before the first credential.
set -euo pipefail
bin="$1"; dir="$2"; base="$3"
cd "$dir"
for purpose in revocation suspension; do
  "$bin" status init --registry registry.sqlite --key keys/anam-mx.jwk --purpose "$purpose" \
    --url "$base/status/bsl-$purpose" --allow-private-hosts
done
# A status-message list (statusSize 2), so the suite's statusSize/statusMessage tests have entries to read.
"$bin" status init --registry registry.sqlite --key keys/anam-mx.jwk --purpose message --status-size 2 \
  --message 0x0=certified --message "0x1=suspended pending review" --message 0x2=reinstated --message 0x3=revoked \
  --reference "$base/ctpat/status-codes" --url "$base/status/bsl-message" --allow-private-hosts
"$bin" status publish --registry registry.sqlite --output site
