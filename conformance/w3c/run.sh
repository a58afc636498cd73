#!/usr/bin/env bash
# Run the W3C VC test suites against a local `vctrade serve` (loopback only).
#
#   run.sh [REPOS_DIR] [SUITE...]
#
# REPOS_DIR (or $W3C_REPOS, default /tmp/w3c/repos) holds the fetched repositories, either as
# work trees named after the repository (REPOS_DIR/vc-di-eddsa-test-suite) or as bare git
# bare snapshots (REPOS_DIR/w3c+vc-di-eddsa-test-suite/repo; cloned into W3C_WORK/src). Needed:
#   w3c/vc-data-model-2.0-test-suite  w3c/vc-di-eddsa-test-suite  w3c/vc-di-ecdsa-test-suite
#   w3c/vc-bitstring-status-list-test-suite  w3c/vc-test-suite-implementations
#   w3c-ccg/data-integrity-test-suite-assertion  w3c/vc-di-ecdsa (the ecdsa suite's test vectors)
# SUITE: any of vc2 eddsa ecdsa bsl (default: all).
#
# Environment (all optional):
#   W3C_WORK      scratch dir for suite copies + node_modules   (default /tmp/w3c/work)
#   VCTRADE_BIN   the vctrade executable  (default /tmp/w3c/venv/bin/vctrade, else `vctrade` on PATH,
#                 else a venv made at /tmp/w3c/venv from VCTRADE_SRC)
#   VCTRADE_SRC   a vctrade checkout (for fixtures/keys)        (default: the git top level of the current directory)
#   VCTRADE_REV   measure this commit of VCTRADE_SRC instead of its work tree: `git archive` of it into
#                 W3C_WORK/vctrade-REV, run as `python -P -m vctrade` with PYTHONPATH set to it (the work tree,
#                 and so an editable install, may hold someone's edits in progress); VCTRADE_BIN is then that
#                 wrapper. Read-only for the repository (no index or commit changes).
#   VCTRADE_PYTHON  the python for VCTRADE_REV (default: the interpreter of the `vctrade` script on PATH)
#   VCTRADE_API_TOKEN  bearer token the service accepts        (default: random)
#   PORT, TLS_PORT  loopback ports of vctrade serve and of its TLS front (default: free ones)
#   SKIP_INSTALL=1  reuse the node_modules already in W3C_WORK
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPOS="${1:-${W3C_REPOS:-/tmp/w3c/repos}}"; [ $# -gt 0 ] && shift
SUITES=("$@"); [ ${#SUITES[@]} -eq 0 ] && SUITES=(vc2 eddsa ecdsa bsl)
WORK="${W3C_WORK:-/tmp/w3c/work}"
VCTRADE_SRC="${VCTRADE_SRC:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)}"
[ -f "$VCTRADE_SRC/fixtures/keys/cbp.jwk" ] || { echo "VCTRADE_SRC=$VCTRADE_SRC has no fixtures/keys; set VCTRADE_SRC to a vctrade checkout" >&2; exit 2; }
mkdir -p "$WORK"
if [ -n "${VCTRADE_REV:-}" ]; then  # a snapshot of one commit, not the (possibly changing) work tree
  rev="$(git -C "$VCTRADE_SRC" rev-parse --short "$VCTRADE_REV^{commit}")" || { echo "VCTRADE_REV=$VCTRADE_REV: no such commit" >&2; exit 2; }
  PY="${VCTRADE_PYTHON:-$(sed -n '1s/^#! *//p' "$(command -v vctrade || echo /dev/null)")}"
  [ -x "$PY" ] || { echo "VCTRADE_REV needs a python with vctrade's dependencies: set VCTRADE_PYTHON" >&2; exit 2; }
  snap="$WORK/vctrade-$rev"; rm -rf "$snap"; mkdir -p "$snap"
  git -C "$VCTRADE_SRC" archive "$rev" | tar -x -C "$snap"
  printf '#!/bin/sh\nPYTHONPATH=%s exec %s -P -m vctrade "$@"\n' "$snap" "$PY" > "$snap/vctrade-bin"; chmod +x "$snap/vctrade-bin"
  VCTRADE_SRC="$snap"; VCTRADE_BIN="$snap/vctrade-bin"
  [ -f "$VCTRADE_SRC/fixtures/keys/cbp.jwk" ] || { echo "$rev has no fixtures/keys" >&2; exit 2; }
fi
VCTRADE_BIN="${VCTRADE_BIN:-/tmp/w3c/venv/bin/vctrade}"
[ -x "$VCTRADE_BIN" ] || VCTRADE_BIN="$(command -v vctrade || true)"
if [ -z "$VCTRADE_BIN" ]; then
  python3 -m venv /tmp/w3c/venv && /tmp/w3c/venv/bin/pip install -q "$VCTRADE_SRC"
  VCTRADE_BIN=/tmp/w3c/venv/bin/vctrade
fi
export VCTRADE_API_TOKEN="${VCTRADE_API_TOKEN:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="${PORT:-$(free_port)}"          # vctrade serve (plain HTTP, 127.0.0.1)
TLS_PORT="${TLS_PORT:-$(free_port)}"  # its TLS front (tls-proxy.cjs), what the suites call
export VCTRADE_BASE_URL="https://localhost:$TLS_PORT"

declare -A DIR=([vc2]=vc-data-model-2.0-test-suite [eddsa]=vc-di-eddsa-test-suite
                [ecdsa]=vc-di-ecdsa-test-suite [bsl]=vc-bitstring-status-list-test-suite)
declare -A CFG=([vc2]=vc2.localConfig.cjs [eddsa]=eddsa.localConfig.cjs
                [ecdsa]=ecdsa.localConfig.cjs [bsl]=bsl.localConfig.cjs)

# --- 1. suite copies: GitHub dependencies -> local folders, localConfig.cjs, offline vectors -------------
SRC="$REPOS"
if [ ! -d "$REPOS/vc-test-suite-implementations" ]; then  # bare snapshots: clone them
  SRC="$WORK/src"; mkdir -p "$SRC"
  for r in vc-data-model-2.0-test-suite vc-di-eddsa-test-suite vc-di-ecdsa-test-suite \
           vc-bitstring-status-list-test-suite vc-test-suite-implementations \
           data-integrity-test-suite-assertion vc-di-ecdsa; do
    bare="$(ls -d "$REPOS"/*+"$r"/repo 2>/dev/null | head -1)"
    [ -n "$bare" ] || { echo "missing $r in $REPOS" >&2; exit 2; }
    [ -d "$SRC/$r" ] || git clone -q "$bare" "$SRC/$r"
  done
fi
prepare() {  # $1 = suite key
  local name="${DIR[$1]}" dst="$WORK/${DIR[$1]}"
  mkdir -p "$dst"
  find "$dst" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  (cd "$SRC/$name" && tar --exclude=./.git --exclude=./node_modules --exclude=./package-lock.json -cf - .) | (cd "$dst" && tar -xf -)
  node -e '
    const fs = require("fs"), [pkgFile, repos] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(pkgFile));
    for(const deps of [pkg.dependencies || {}, pkg.devDependencies || {}]) {
      for(const [k, v] of Object.entries(deps)) {
        const m = /^(github:|git\+https:\/\/github.com\/)?([\w.-]+)\/([\w.-]+?)(\.git)?(#.*)?$/.exec(v);
        if(m && (m[1] || !/^[\^~0-9<>=*]/.test(v)) && fs.existsSync(`${repos}/${m[3]}`)) {
          deps[k] = `file:${repos}/${m[3]}`;
        } else if(/github/.test(v)) {
          throw new Error(`${k}: ${v} is a GitHub dependency and ${repos}/${m && m[3]} is missing`);
        }
      }
    }
    // never let npm/mocha hooks reach GitHub
    if(pkg.scripts) { delete pkg.scripts.postinstall; delete pkg.scripts.pretest; }
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  ' "$dst/package.json" "$SRC"
  cp "$HERE/${CFG[$1]}" "$dst/localConfig.cjs"; cp "$HERE/common.cjs" "$dst/vctrade-common.cjs"
  if [ "$1" = ecdsa ]; then  # its postinstall would `git clone https://github.com/w3c/vc-di-ecdsa`
    mkdir -p "$dst/tests/input/vc-di-ecdsa"
    (cd "$SRC/vc-di-ecdsa" && tar --exclude=./.git -cf - .) | (cd "$dst/tests/input/vc-di-ecdsa" && tar -xf -)
    # the ecdsa-sd-2023 interop test derives with the vcHolder of the implementation its runner.json names
    # (Digital Bazaar's, remote): name ours instead, so that test runs vctrade issuer -> holder -> verifier
    node -e '
      const fs = require("fs"), file = process.argv[1], runner = JSON.parse(fs.readFileSync(file));
      runner.suites["ecdsa-sd-2023"].vcHolder.holderName = "vctrade";
      fs.writeFileSync(file, JSON.stringify(runner, null, 2));
    ' "$dst/config/runner.json"
  fi
  if [ "${SKIP_INSTALL:-0}" != 1 ] || [ ! -d "$dst/node_modules" ]; then
    # --install-links: copy file: deps (not symlinks), so app-root-path and their own deps resolve normally
    (cd "$dst" && npm install --install-links --no-audit --no-fund --loglevel=error >"$WORK/$1.npm.log" 2>&1) \
      || { echo "$1: npm install failed, see $WORK/$1.npm.log" >&2; return 1; }
  fi
}

# --- 2. vctrade serve on loopback -------------------------------------------------------------------------
SVC="$WORK/service"
start_service() {
  rm -rf "$SVC"; mkdir -p "$SVC/keys" "$SVC/tls"
  cp "$VCTRADE_SRC"/fixtures/keys/*.jwk "$SVC/keys/"
  sed "s/@PORT@/$PORT/" "$HERE/service.toml" > "$SVC/service.toml"
  # a throwaway CA + localhost certificate for the TLS front; vctrade trusts it through SSL_CERT_FILE
  ( cd "$SVC/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=vctrade test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout key.pem -out req.csr
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem
  ) >"$WORK/tls.log" 2>&1
  "$HERE/init-status.sh" "$VCTRADE_BIN" "$SVC" "$VCTRADE_BASE_URL" >"$WORK/status-init.log" 2>&1 \
    || { echo "status list init failed, see $WORK/status-init.log" >&2; }
  (cd "$SVC" && SSL_CERT_FILE="$SVC/tls/ca.pem" exec "$VCTRADE_BIN" serve --config service.toml >"$WORK/service.log" 2>&1) &
  SVC_PID=$!
  node "$HERE/tls-proxy.cjs" "$TLS_PORT" "$PORT" "$SVC/tls/key.pem" "$SVC/tls/cert.pem" >"$WORK/tls-proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 50); do
    curl -fsS --cacert "$SVC/tls/ca.pem" "$VCTRADE_BASE_URL/openapi.json" >/dev/null 2>&1 && return 0; sleep 0.2
  done
  echo "vctrade serve did not come up; see $WORK/service.log $WORK/tls-proxy.log" >&2; return 1
}
stop_service() {
  for pid in ${PROXY_PID:-} ${SVC_PID:-}; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap stop_service EXIT

# --- 3. run -----------------------------------------------------------------------------------------------
run_suite() {  # $1 = suite key
  local dst="$WORK/${DIR[$1]}" out="$WORK/$1.results.json"
  rm -f "$out" "$WORK/$1.blocked-hosts"
  (cd "$dst" && APP_ROOT_PATH="$dst" NET_GUARD_LOG="$WORK/$1.blocked-hosts" \
     NODE_OPTIONS="--require $HERE/net-guard.cjs" \
     node_modules/.bin/mocha tests/ --timeout 15000 --preserve-symlinks --reporter json --reporter-option "output=$out" \
     >"$WORK/$1.mocha.log" 2>&1) || true
  node "$HERE/summarize.cjs" "${DIR[$1]}" "$out" "$WORK/$1.failures.txt"
}

for s in "${SUITES[@]}"; do prepare "$s"; done
[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0
start_service
echo "vctrade serve pid $SVC_PID on http://127.0.0.1:$PORT, TLS front pid $PROXY_PID on $VCTRADE_BASE_URL ($("$VCTRADE_BIN" --version))"
for s in "${SUITES[@]}"; do run_suite "$s"; done
echo "failing tests: $WORK/<suite>.failures.txt; raw mocha JSON: $WORK/<suite>.results.json; service log: $WORK/service.log"
for s in "${SUITES[@]}"; do
  [ -s "$WORK/$s.blocked-hosts" ] && echo "WARNING: $s tried non-loopback hosts (refused): $(sort -u "$WORK/$s.blocked-hosts" | tr '\n' ' ')"
done
exit 0

