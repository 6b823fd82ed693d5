#!/usr/bin/env bash
# Run a command against the tier-2 stack: LocalStack (S3, SQS, Step Functions, EventBridge, CloudFormation,
# DynamoDB fed with the DynamoDB Local jar, IAM, STS, KMS, Logs) plus a standalone DynamoDB Local that the
# application's DynamoDB calls go to (AWS_ENDPOINT_URL_DYNAMODB). Servers are always stopped afterwards; exits with
# the command's code.
# Usage: scripts/stack/tier2.sh <command...>   e.g. scripts/stack/tier2.sh .venv/bin/pytest tests/integration
# Env: TIER2_DYNAMODB [standalone] | localstack (no standalone server: DynamoDB calls go to LocalStack's own, which
#      is ~1.7x slower for the suite, see README.md), LS_PORT [24566], DDB_PORT [24800], VS_DATA_DIR,
#      PY313 (see setup.sh). Our own messages go to stderr.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 <command...>" >&2; exit 2; }
. "$(dirname "$0")/_common.sh"
S="$STACK_SCRIPTS"
DYNAMODB_MODE="${TIER2_DYNAMODB:-standalone}"
case "$DYNAMODB_MODE" in localstack|standalone) ;; *) echo "TIER2_DYNAMODB must be localstack or standalone" >&2; exit 2 ;; esac

# One run per data dir at a time: a second run would otherwise "clean up" the first one's servers as stale.
# fd 9 is closed (9>&-) for everything we spawn, so a leaked server can never hold the lock after we die.
exec 9>"$STACK_DIR/tier2.lock"
if ! flock -n 9; then
  echo "tier2: another tier2.sh run uses $STACK_DIR; waiting for it (up to ${TIER2_LOCK_WAIT:-900}s)" >&2
  flock -w "${TIER2_LOCK_WAIT:-900}" 9 || { echo "tier2: gave up waiting for the lock" >&2; exit 1; }
fi

# Both servers take ~2 s to exit on TERM (graceful HTTP shutdown), so stop them in parallel. Stopping a server that
# is not running is a no-op, so a standalone DynamoDB Local left by an earlier run in the other mode is stopped too.
stop_all() { "$S/localstack-ctl.sh" stop 9>&- >&2 & "$S/ddb-local-ctl.sh" stop 9>&- >&2 & wait; }
# Ignore further signals while cleaning up: a second Ctrl-C must not leave servers half-stopped.
# If interrupted mid-start, a ctl script may spawn its server just after our stop: wait for the starters, stop again.
cleanup() { trap - EXIT; trap "" INT TERM HUP; stop_all; [ -z "${starting:-}" ] || { wait; stop_all; }; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

"$S/setup.sh" 9>&- >&2 || { echo "tier2: setup.sh failed" >&2; exit 1; }
# We hold the lock, so anything still running is left over from a crashed run: stop it first.
stop_all
starting=1
if [ "$DYNAMODB_MODE" = standalone ]; then "$S/ddb-local-ctl.sh" start 9>&- >&2 & ddb=$!; else ddb=; fi
"$S/localstack-ctl.sh" start 9>&- >&2 & lsj=$!
r1=0; [ -z "$ddb" ] || { wait $ddb; r1=$?; }; wait $lsj; r2=$?; starting=
[ $r1 = 0 ] && [ $r2 = 0 ] || { echo "tier2: stack failed to start (see messages above)" >&2; exit 1; }

# A stray per-service endpoint (e.g. AWS_ENDPOINT_URL_S3 from the caller's shell) would beat AWS_ENDPOINT_URL
# and silently route a service elsewhere; a profile/session token could leak real credentials into requests.
for v in $(compgen -e | grep -E '^AWS_ENDPOINT_URL_'); do unset "$v"; done
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
[ "$DYNAMODB_MODE" = localstack ] || export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DDB_PORT"
export VS_TEST_STACK=external VS_STACK_NAME=localstack AWS_ENDPOINT_URL="http://127.0.0.1:$LS_PORT" \
       AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

# Run the command as a background child and wait, so a TERM/HUP sent to us alone (CI timeout) is forwarded
# instead of being deferred until the command ends. The subshell's `trap -` undoes the SIGINT/SIGQUIT ignore
# bash applies to & jobs, and <&0 keeps the caller's stdin/tty (pdb works); Ctrl-C still reaches the command
# directly. We always wait for it to finish (its fixtures may still talk to the stack) before stopping servers.
( trap - INT QUIT; exec "$@" ) <&0 9>&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM HUP
trap ':' INT
until wait "$child"; rc=$?; ! kill -0 "$child" 2>/dev/null; do :; done
wait "$child" 2>/dev/null; r=$?; [ "$r" = 127 ] || rc=$r   # exact status if a signal interrupted the wait
exit "$rc"
