#!/usr/bin/env bash
# LocalStack (localstack-core 2026.3.0, host mode, no Docker) in the background.
# Usage: localstack-ctl.sh start|stop|status|seed-ddb   Env: LS_PORT [24566], LS_EAGER [0], VS_DATA_DIR
# State/log/pid: $VS_DATA_DIR/stack/ls-home. Run setup.sh first.
set -euo pipefail
. "$(dirname "$0")/_common.sh"
# cloudformation: the integration session deploys the stateful template (infra/stack_deploy.py).
# dynamodb: LocalStack's own, fed offline with our DynamoDB Local jar (seed_ddb). kms: SSE-enabled tables ask it for a key.
SERVICES=s3,sqs,stepfunctions,events,iam,sts,logs,cloudformation,dynamodb,kms
PIDFILE="$LS_HOME/localstack.pid"; LOG="$LS_HOME/localstack.log"; MARK="$STACK_SCRIPTS/ls_launch.py"
HEALTH="http://127.0.0.1:$LS_PORT/_localstack/health"

# LocalStack's DynamoDB installer downloads DynamoDB Local, a javaagent and a JDK 21 (impossible offline; every
# DynamoDB call is then a 500). It skips the install when the jar is in place, and starts
# `java -javaagent:<dir>/ddb-local-loader-0.1.jar -jar <dir>/DynamoDBLocal.jar -inMemory` with whatever java is on
# PATH (17 suffices). The agent only lifts the 20-GSI limit: a no-op one (ddb_noop_agent.py, no JDK needed) is enough.
seed_ddb() {
  local d="$LS_HOME/fs/var/lib/localstack/lib/dynamodb-local/2"
  [ -f "$d/DynamoDBLocal.jar" ] && [ -f "$d/ddb-local-loader-0.1.jar" ] && return 0
  [ -f "$DDB_LOCAL_DIR/DynamoDBLocal.jar" ] || { echo "no $DDB_LOCAL_DIR: run scripts/stack/setup.sh" >&2; return 1; }
  rm -rf "$d.partial"; mkdir -p "$d.partial"
  cp -a "$DDB_LOCAL_DIR/." "$d.partial/"
  "$LS_VENV/bin/python" "$STACK_SCRIPTS/ddb_noop_agent.py" "$d.partial/ddb-local-loader-0.1.jar"
  rm -rf "$d"; mv "$d.partial" "$d"   # the jar marker appears only once everything is in place
}

start() {
  if pid_alive "$PIDFILE" "$MARK"; then echo "LocalStack already running (pid $(cat "$PIDFILE"))"; return 0; fi
  [ -x "$LS_VENV/bin/python" ] || { echo "no $LS_VENV: run scripts/stack/setup.sh" >&2; return 1; }
  # Without this check a foreign server on the port would answer our health probe and we'd report success.
  if port_busy "$LS_PORT"; then echo "port $LS_PORT is already in use by another process (set LS_PORT)" >&2; return 1; fi
  mkdir -p "$LS_HOME/tmp" "$LS_HOME/fs"
  seed_ddb
  local t0; t0=$(date +%s%N)
  # OVERRIDE_IN_DOCKER=0: this host has /.dockerenv, otherwise LocalStack writes to /var/lib/localstack etc.;
  #   in host mode every dir is under FILESYSTEM_ROOT.
  # DNS_ADDRESS=0: don't bind a DNS server on :53.  DISABLE_EVENTS: no analytics.  SKIP_SSL_CERT_DOWNLOAD: offline.
  # LOCALSTACK_HOST + SQS_ENDPOINT_STRATEGY=path: QueueUrls/Locations on 127.0.0.1 (*.localstack.cloud needs public DNS).
  # S3_SKIP_SIGNATURE_VALIDATION=0: LocalStack defaults to 1; we want presigned URLs checked like AWS.
  # DYNAMODB_IN_MEMORY=1: tables live as long as this server, like everything else in it.
  # TMPDIR/java.io.tmpdir/LS_S3_TMP_DIR (read by ls_launch.py): keep temp and S3 spool files out of /tmp.
  # XDG_CACHE_HOME: plux (LocalStack's plugin loader) caches entry points in ~/.cache/plux otherwise.
  env GATEWAY_LISTEN="127.0.0.1:$LS_PORT" LOCALSTACK_HOST="127.0.0.1:$LS_PORT" SQS_ENDPOINT_STRATEGY=path \
      SERVICES="$SERVICES" EAGER_SERVICE_LOADING="${LS_EAGER:-0}" \
      OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$LS_HOME/fs" LOCALSTACK_VOLUME_DIR="$LS_HOME/fs/var/lib/localstack" \
      DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 S3_SKIP_SIGNATURE_VALIDATION=0 DYNAMODB_IN_MEMORY=1 \
      TMPDIR="$LS_HOME/tmp" JAVA_TOOL_OPTIONS="-Djava.io.tmpdir=$LS_HOME/tmp -XX:-UsePerfData" \
      LS_S3_TMP_DIR="$LS_HOME/s3-storage" XDG_CACHE_HOME="$LS_HOME/cache" \
      AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
      setsid "$LS_VENV/bin/python" "$MARK" >"$LOG" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "$HEALTH" 2>/dev/null; then
      echo "LocalStack up on http://127.0.0.1:$LS_PORT (pid $(cat "$PIDFILE")) in $(ms_since "$t0") ms"; return 0
    fi
    pid_alive "$PIDFILE" "$MARK" || { echo "LocalStack exited during startup; tail of $LOG:" >&2; tail -30 "$LOG" >&2; rm -f "$PIDFILE"; return 1; }
    sleep 0.5
  done
  echo "timeout waiting for $HEALTH; tail of $LOG:" >&2; tail -30 "$LOG" >&2; stop_pidfile "$PIDFILE" "$MARK" 5 || true; return 1
}

case "${1:-}" in
  start) start ;;
  seed-ddb) seed_ddb ;;
  stop) if stop_pidfile "$PIDFILE" "$MARK" 5; then echo "LocalStack stopped"; else echo "LocalStack not running"; fi ;;
  status) if pid_alive "$PIDFILE" "$MARK"; then echo "LocalStack running (pid $(cat "$PIDFILE"))"; curl -s "$HEALTH"; echo
          else echo "LocalStack stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status|seed-ddb" >&2; exit 2 ;;
esac
