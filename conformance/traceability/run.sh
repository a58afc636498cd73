#!/usr/bin/env bash
# Run the W3C CCG traceability-interop Postman collections against `vctrade serve` (loopback only).
#
#   run.sh [SUITE_DIR] [COLLECTION...]
#
# SUITE_DIR (or $TRACE_SUITE, default /tmp/s16/interop) holds the suite's files as in the repository
# w3c-ccg/traceability-interop: tests/conformance_suite.postman_collection.json and
# docs/tutorials/<folder>/<collection>.json (see README.md for the list and how to get them).
# COLLECTION: any of the keys below (default: all).
#
# Environment (all optional):
#   TRACE_WORK     scratch dir: newman's node_modules, the organisations' folders, results (default /tmp/s16/work)
#   VCTRADE_BIN    the vctrade executable (default: `vctrade` on PATH)
#   VCTRADE_PYTHON the python that runs it (default: the interpreter of VCTRADE_BIN's #! line); it hashes the
#                  client secrets (vctrade.service._oauth.hash_client_secret)
#   VCTRADE_SRC    a vctrade checkout, for VCTRADE_REV (default: the git top level of the current directory)
#   VCTRADE_REV    measure this commit instead of the work tree: `git archive` of it into TRACE_WORK/vctrade-REV,
#                  run as `python -P -m vctrade` with PYTHONPATH set to it (read-only for the repository)
#   SKIP_INSTALL=1 reuse the newman already installed in TRACE_WORK
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE="${1:-${TRACE_SUITE:-/tmp/s16/interop}}"; [ $# -gt 0 ] && shift
WORK="${TRACE_WORK:-/tmp/s16/work}"

# key -> (collection file under SUITE, environment kind for environment.cjs)
declare -A FILE=(
  [conformance]=tests/conformance_suite.postman_collection.json
  [authentication]=docs/tutorials/authentication/authentication.postman_collection.json
  [did-web-discovery]=docs/tutorials/did-web-discovery/did-web-discovery.postman_collection.json
  [credentials-issue]=docs/tutorials/credentials-issue/credentials-issue.postman_collection.json
  [credentials-verify]=docs/tutorials/credentials-verify/credentials-verify.postman_collection.json
  [credentials-status-update]=docs/tutorials/credentials-status-update/credentials-status-update.postman_collection.json
  [presentations-exchange]=docs/tutorials/presentations-exchange/presentations-exchange.postman_collection.json
  [presentations-verify]=docs/tutorials/presentations-verify/presentations-verify.postman_collection.json
  [presentations-exchange-oauth]=docs/tutorials/presentations-exchange-oauth/presentations-exchange-oauth.json
  [agility]=docs/tutorials/agility/agility.collection.json
  [vc-jwt]=docs/tutorials/vc-jwt/vc-jwt.collection.json
  [mtrc]=docs/tutorials/mill-test-report-certificate/vc-api.mtrc.collection.json
  [workflow-join]=docs/tutorials/workflow-join/workflow-instance-join.collection.json
)
declare -A KIND=(
  [conformance]=conformance [authentication]=single [did-web-discovery]=single [credentials-issue]=single
  [credentials-verify]=single [credentials-status-update]=single [presentations-exchange]=pair
  [presentations-verify]=pair [presentations-exchange-oauth]=pair [agility]=single [vc-jwt]=single [mtrc]=single
  [workflow-join]=three
)
ORDER=(conformance authentication did-web-discovery credentials-issue credentials-verify credentials-status-update
       presentations-exchange presentations-verify presentations-exchange-oauth agility vc-jwt mtrc workflow-join)
COLLECTIONS=("$@"); [ ${#COLLECTIONS[@]} -eq 0 ] && COLLECTIONS=("${ORDER[@]}")
for key in "${COLLECTIONS[@]}"; do
  [ -n "${FILE[$key]:-}" ] || { echo "unknown collection $key (one of: ${ORDER[*]})" >&2; exit 2; }
  [ -f "$SUITE/${FILE[$key]}" ] || { echo "missing $SUITE/${FILE[$key]}" >&2; exit 2; }
done
mkdir -p "$WORK"
SCOPES="resolve:dids issue:credentials verify:credentials update:credentials read:credentials prove:presentations verify:presentations submit:presentations"

# --- vctrade (the work tree's, or a snapshot of VCTRADE_REV) ----------------------------------------------
VCTRADE_BIN="${VCTRADE_BIN:-$(command -v vctrade || true)}"
[ -n "$VCTRADE_BIN" ] || { echo "no vctrade on PATH: set VCTRADE_BIN" >&2; exit 2; }
PY="${VCTRADE_PYTHON:-$(sed -n '1s/^#! *//p' "$VCTRADE_BIN")}"
SNAPSHOT=""
if [ -n "${VCTRADE_REV:-}" ]; then
  VCTRADE_SRC="${VCTRADE_SRC:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)}"
  rev="$(git -C "$VCTRADE_SRC" rev-parse --short "$VCTRADE_REV^{commit}")" || { echo "VCTRADE_REV=$VCTRADE_REV: no such commit" >&2; exit 2; }
  SNAPSHOT="$WORK/vctrade-$rev"; rm -rf "$SNAPSHOT"; mkdir -p "$SNAPSHOT"
  git -C "$VCTRADE_SRC" archive "$rev" | tar -x -C "$SNAPSHOT"
  printf '#!/bin/sh\nPYTHONPATH=%s${PYTHONPATH:+:$PYTHONPATH} exec %s -P -m vctrade "$@"\n' "$SNAPSHOT" "$PY" \
    > "$SNAPSHOT/vctrade-bin"
  chmod +x "$SNAPSHOT/vctrade-bin"; VCTRADE_BIN="$SNAPSHOT/vctrade-bin"
fi
[ -x "$PY" ] || { echo "cannot find vctrade's python ($PY): set VCTRADE_PYTHON" >&2; exit 2; }
hash_secret() {  # the stored form of a client secret, by vctrade's own function (secret on stdin)
  PYTHONPATH="$SNAPSHOT" "$PY" -c 'import sys
from vctrade.service._oauth import hash_client_secret
print(hash_client_secret(sys.stdin.read()))'
}

# --- newman (npm registry only) ---------------------------------------------------------------------------
NEWMAN="$WORK/newman/node_modules/.bin/newman"
if [ "${SKIP_INSTALL:-0}" != 1 ] || [ ! -x "$NEWMAN" ]; then
  mkdir -p "$WORK/newman"
  [ -f "$WORK/newman/package.json" ] || echo '{"private": true}' > "$WORK/newman/package.json"
  (cd "$WORK/newman" && npm install --no-audit --no-fund --loglevel=error newman@6 >"$WORK/npm.log" 2>&1) \
    || { echo "npm install newman failed, see $WORK/npm.log" >&2; exit 1; }
fi

# --- a throwaway CA and a certificate for 127.0.0.1 -------------------------------------------------------
TLS="$WORK/tls"; rm -rf "$TLS"; mkdir -p "$TLS"
( cd "$TLS"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=vctrade traceability test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" -keyout key.pem -out req.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > ext.cnf
  openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem
) >"$WORK/tls.log" 2>&1 || { echo "openssl failed, see $WORK/tls.log" >&2; exit 1; }

# --- three organisations, each its own vctrade serve on 127.0.0.1 -----------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
GUARD_LOG="$WORK/net-guard.log"; rm -f "$GUARD_LOG"
PIDS=()
stop_services() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap stop_services EXIT
ORGS_JSON="$WORK/orgs.json"; echo "[" > "$ORGS_JSON"; chmod 600 "$ORGS_JSON"
for n in 1 2 3; do
  org="$WORK/org$n"; rm -rf "$org"; mkdir -p "$org/keys"
  port="$(free_port)"; base="https://127.0.0.1:$port/traceability"; did="did:web:127.0.0.1%3A$port:traceability"
  client="org$n-client"; secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  "$VCTRADE_BIN" key generate -o "$org/keys/org.jwk" >"$WORK/org$n.setup.log" 2>&1
  "$VCTRADE_BIN" key generate -t P-256 -o "$org/keys/token-signer.jwk" >>"$WORK/org$n.setup.log" 2>&1
  secret_hash="$(printf '%s' "$secret" | hash_secret)" \
    || { echo "cannot hash a client secret with $PY (no vctrade.service._oauth.hash_client_secret?)" >&2; exit 1; }
  sed -e "s|@PORT@|$port|g" -e "s|@DID@|$did|g" -e "s|@TLS@|$TLS|g" -e "s|@CLIENT_ID@|$client|g" \
      -e "s|@SECRET_HASH@|$secret_hash|g" "$HERE/org.toml" > "$org/service.toml"
  (cd "$org" && SSL_CERT_FILE="$TLS/ca.pem" PYTHONPATH="$HERE/pyguard" PYTHONDONTWRITEBYTECODE=1 TRACE_NET_GUARD_LOG="$GUARD_LOG" \
     exec "$VCTRADE_BIN" serve --config service.toml >"$WORK/org$n.log" 2>&1) &
  PIDS+=($!)
  up=""
  for _ in $(seq 75); do
    if curl -fsS --cacert "$TLS/ca.pem" "$base/did.json" >/dev/null 2>&1; then up=profile; break; fi
    if curl -sS --cacert "$TLS/ca.pem" -o /dev/null "https://127.0.0.1:$port/" 2>/dev/null; then up=root; fi
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.2
  done
  case "$up" in
    profile) ;;
    root) echo "org$n: vctrade serve is up on port $port but serves no $base/did.json (no traceability profile?)" ;;
    *) echo "org$n: vctrade serve did not come up; see $WORK/org$n.log:" >&2; tail -5 "$WORK/org$n.log" >&2; exit 1 ;;
  esac
  # StatusList2021 revocation and suspension lists, signed as the organisation's did:web (resolved from the
  # running service, hence after it is up).
  for purpose in revocation suspension; do
    (cd "$org" && SSL_CERT_FILE="$TLS/ca.pem" PYTHONPATH="$HERE/pyguard" PYTHONDONTWRITEBYTECODE=1 TRACE_NET_GUARD_LOG="$GUARD_LOG" \
      "$VCTRADE_BIN" status init --registry registry.sqlite --key keys/org.jwk --did "$did" --purpose "$purpose" \
      --url "https://127.0.0.1:$port/status/org$n-$purpose" --allow-private-hosts) >>"$WORK/org$n.setup.log" 2>&1 \
      || echo "org$n: status init ($purpose) failed, see $WORK/org$n.setup.log"
  done
  [ "$n" = 1 ] || echo "," >> "$ORGS_JSON"
  printf '{"base": "%s", "did": "%s", "clientId": "%s", "secret": "%s", "audience": "%s", "tokenEndpoint": "%s", "scope": "%s"}\n' \
    "$base" "$did" "$client" "$secret" "$base" "https://127.0.0.1:$port/oauth/token" "$SCOPES" >> "$ORGS_JSON"
  echo "org$n: $did  pid ${PIDS[-1]}  ($WORK/org$n)"
done
echo "]" >> "$ORGS_JSON"
echo "vctrade: $("$VCTRADE_BIN" --version); newman $("$NEWMAN" --version); suite: $SUITE"

# --- the collections --------------------------------------------------------------------------------------
mkdir -p "$WORK/env"
for key in "${COLLECTIONS[@]}"; do
  rm -f "$WORK/$key.results.json" "$WORK/$key.blocked-hosts"
  node "$HERE/environment.cjs" "${KIND[$key]}" "$ORGS_JSON" "$WORK/env/$key.json"
  (NODE_OPTIONS="--require $HERE/../w3c/net-guard.cjs" NET_GUARD_LOG="$WORK/$key.blocked-hosts" \
   NODE_EXTRA_CA_CERTS="$TLS/ca.pem" \
   "$NEWMAN" run "$SUITE/${FILE[$key]}" -e "$WORK/env/$key.json" --ssl-extra-ca-certs "$TLS/ca.pem" \
     --timeout-request 30000 --color off --reporters cli,json --reporter-json-export "$WORK/$key.results.json" \
     >"$WORK/$key.newman.log" 2>&1) || true
  node "$HERE/summarize.cjs" "$key" "$WORK/$key.results.json" "$WORK/$key.failures.txt"
done
echo "failing assertions: $WORK/<collection>.failures.txt; newman JSON: $WORK/<collection>.results.json;" \
     "newman output: $WORK/<collection>.newman.log; services: $WORK/org{1,2,3}.log"
for key in "${COLLECTIONS[@]}"; do
  [ -s "$WORK/$key.blocked-hosts" ] || continue
  # A request whose host is a variable no step set ({{verifier_exchange_endpoint}} after a failed discovery)
  # is refused too; only real names are worth a warning.
  unresolved="$(grep '^{{' "$WORK/$key.blocked-hosts" | sort -u | tr '\n' ' ' || true)"
  hosts="$(grep -v '^{{' "$WORK/$key.blocked-hosts" | sort -u | tr '\n' ' ' || true)"
  [ -z "$hosts" ] || echo "WARNING: $key tried non-loopback hosts (refused): $hosts"
  [ -z "$unresolved" ] || echo "note: $key sent requests to an unset variable as host (refused): $unresolved"
done
[ -s "$GUARD_LOG" ] && echo "note: the services were refused non-loopback hosts (expected: example.com, from did:not_found:did_web): $(sort -u "$GUARD_LOG" | tr '\n' ' ')"
exit 0
