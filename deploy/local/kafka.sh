#!/usr/bin/env bash
# Local single-node Apache Kafka 4.x (KRaft, broker+controller, loopback only), no Docker.
# Jars come from Maven Central via deploy/kafka/pom.xml and are cached.
#
#   deploy/local/kafka.sh up | start-broker   start (fetch jars / format storage once); no-op if running
#   deploy/local/kafka.sh down | stop-broker  SIGTERM (30 s grace, then SIGKILL); keeps data; no-op if stopped
#   deploy/local/kafka.sh status              exit 0 if running (and answering), 3 if not
#   deploy/local/kafka.sh env                 print `export WW_KAFKA_BOOTSTRAP=...` lines (eval-able)
#   deploy/local/kafka.sh reset               stop and delete all Kafka state (topics, offsets)
#   deploy/local/kafka.sh run CLASS [ARGS...] run a Kafka CLI class on the cached classpath, e.g.
#       kafka.sh run org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:59092 --list
#
# Env: WW_STATE_DIR (default <repo>/var), WW_CACHE_DIR (default deploy/local/.cache),
#      WW_KAFKA_PORT (59092), WW_KAFKA_CONTROLLER_PORT (59093), JAVA_HOME,
#      WW_KAFKA_JVM_OPTS (extra JVM flags for the broker, word-split).
set -euo pipefail

# shellcheck source=_lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/_lib.sh"

KAFKA_POM="$WW_REPO_ROOT/deploy/kafka/pom.xml"
KAFKA_LOG4J="$WW_REPO_ROOT/deploy/kafka/log4j2.properties"
KAFKA_TOOLS_LOG4J="$WW_REPO_ROOT/deploy/kafka/log4j2-tools.properties"
PROBE="$WW_LOCAL_DIR/_kafka_probe.py"
LIBS="$WW_CACHE_DIR_RESOLVED/kafka-libs"

KAFKA_DIR="$WW_STATE_DIR_RESOLVED/kafka"
KAFKA_CONF="$KAFKA_DIR/server.properties"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_CONSOLE="$KAFKA_DIR/console.out"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
KAFKA_PORTS_FILE="$KAFKA_DIR/ports"
DEFAULT_PORT=59092
DEFAULT_CTRL_PORT=59093
START_TIMEOUT=90
STOP_TIMEOUT=30

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# ---------------------------------------------------------------------------------------
lock_state() { # serialize up/down/reset against concurrent invocations
  mkdir -p "$KAFKA_DIR"
  exec 9>"$KAFKA_DIR/.lock"
  flock -w 180 9 || ww_die "kafka: could not lock $KAFKA_DIR/.lock"
}

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || ww_die "java not found (set JAVA_HOME or install openjdk-17-jre-headless)"
  local spec
  spec="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [ "${spec%%.*}" -ge 17 ] 2>/dev/null || ww_die "Kafka 4 needs Java >= 17, $JAVA is '$spec'"
}

libs_present() { compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; }

# Fetch the broker jars into the cache unless present and made from the current pom.
ensure_libs() {
  local want have=""
  want="$(sha256sum "$KAFKA_POM" | cut -c1-64)"
  [ -f "$LIBS/.pom.sha256" ] && have="$(cat "$LIBS/.pom.sha256")"
  if libs_present && [ "$have" = "$want" ]; then return 0; fi

  command -v mvn >/dev/null 2>&1 || ww_die "mvn not found (apt-get install -y maven)"
  mkdir -p "$WW_CACHE_DIR_RESOLVED"
  (
    exec 8>"$WW_CACHE_DIR_RESOLVED/.lock"
    flock -w 600 8 || ww_die "kafka: could not lock the jar cache"
    # Someone else may have filled the cache while we waited.
    if libs_present && [ -f "$LIBS/.pom.sha256" ] && [ "$(cat "$LIBS/.pom.sha256")" = "$want" ]; then exit 0; fi
    local tmp="$WW_CACHE_DIR_RESOLVED/kafka-libs.tmp.$$" mvnlog="$WW_CACHE_DIR_RESOLVED/mvn.log" attempt ok=0
    ww_log "kafka: fetching Kafka jars from Maven Central (once) ..."
    for attempt in 1 2; do
      rm -rf "$tmp"
      if mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies \
          -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvnlog" 2>&1; then
        ok=1; break
      fi
      ww_log "kafka: maven attempt $attempt failed (see $mvnlog)"
      sleep 3
    done
    if [ "$ok" != 1 ]; then tail -n 40 "$mvnlog" >&2; rm -rf "$tmp"; ww_die "kafka: maven could not fetch jars"; fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || ww_die "kafka: maven ran but kafka_2.13 jar is missing in $tmp"
    printf '%s\n' "$want" >"$tmp/.pom.sha256"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
  )
}

kafka_version() {
  local j
  j="$(compgen -G "$LIBS/kafka_2.13-*.jar" | head -n1)"
  j="${j##*/kafka_2.13-}"
  printf '%s' "${j%.jar}"
}

# pid_alive PID: process exists and is not a zombie.
pid_alive() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')"
  [ "$state" != Z ]
}

# Prints the broker pid if our broker (this state dir) is running.
running_pid() {
  local pid
  [ -f "$KAFKA_PID_FILE" ] || return 1
  pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)"
  [ -n "$pid" ] && pid_alive "$pid" || return 1
  # Guard against pid reuse: the process must be our kafka.Kafka with our config.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_CONF" || return 1
  printf '%s' "$pid"
}

read_ports() { # sets PORT CTRL_PORT from the ports file, else defaults/env
  PORT="${WW_KAFKA_PORT:-$DEFAULT_PORT}"
  CTRL_PORT="${WW_KAFKA_CONTROLLER_PORT:-$DEFAULT_CTRL_PORT}"
  if [ -f "$KAFKA_PORTS_FILE" ]; then
    PORT="$(sed -n 's/^KAFKA_PORT=//p' "$KAFKA_PORTS_FILE")"
    CTRL_PORT="$(sed -n 's/^KAFKA_CONTROLLER_PORT=//p' "$KAFKA_PORTS_FILE")"
    [ -n "$PORT" ] || PORT="${WW_KAFKA_PORT:-$DEFAULT_PORT}"
    [ -n "$CTRL_PORT" ] || CTRL_PORT="${WW_KAFKA_CONTROLLER_PORT:-$DEFAULT_CTRL_PORT}"
  fi
}

choose_ports() {
  local want want_ctrl
  read_ports
  # Explicit env wins over the remembered ports.
  want="${WW_KAFKA_PORT:-$PORT}"
  want_ctrl="${WW_KAFKA_CONTROLLER_PORT:-$CTRL_PORT}"
  PORT="$(ww_pick_port "$want" "$want_ctrl")"
  CTRL_PORT="$(ww_pick_port "$want_ctrl" "$PORT")"
  [ "$PORT" = "$want" ] || ww_log "kafka: port $want is busy, using $PORT"
  [ "$CTRL_PORT" = "$want_ctrl" ] || ww_log "kafka: controller port $want_ctrl is busy, using $CTRL_PORT"
  printf 'KAFKA_PORT=%s\nKAFKA_CONTROLLER_PORT=%s\n' "$PORT" "$CTRL_PORT" >"$KAFKA_PORTS_FILE"
}

write_config() {
  cat >"$KAFKA_CONF" <<EOF
# Managed by deploy/local/kafka.sh - rewritten on every 'up'.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA

num.partitions=4
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=4
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=8388608
num.recovery.threads.per.data.dir=1
EOF
}

format_storage() {
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  if [ -d "$KAFKA_DATA" ] && [ -n "$(ls -A "$KAFKA_DATA" 2>/dev/null)" ]; then
    ww_die "kafka: $KAFKA_DATA has data but no meta.properties (partly deleted?); run '$0 reset'"
  fi
  local cid
  # 16 random bytes, URL-safe base64 without padding (Kafka Uuid); Kafka avoids ids
  # starting with '-' because the CLI would parse them as an option.
  cid="$(python3 -c 'import base64,os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not s.startswith("-"): print(s); break')"
  mkdir -p "$KAFKA_DATA"
  if ! "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" -cp "$LIBS/*" \
      kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONF" >"$KAFKA_DIR/format.log" 2>&1; then
    cat "$KAFKA_DIR/format.log" >&2
    ww_die "kafka: storage format failed"
  fi
  ww_log "kafka: formatted storage (cluster id $cid)"
}

# AppCDS: the first broker run dumps a class-data-sharing archive at (graceful) exit, later
# runs map it - saves roughly 1-3 s of a 6-9 s broker startup.  Keyed by pom + JVM build, so a
# stale archive is never used (the JVM would just ignore a mismatching one anyway).
# Disable with WW_KAFKA_CDS=0.
cds_flags() {
  CDS_FLAGS=()
  [ "${WW_KAFKA_CDS:-1}" = 1 ] || return 0
  local key dir jsa
  key="$({ cat "$LIBS/.pom.sha256"; "$JAVA" -version 2>&1; } | sha256sum | cut -c1-16)"
  dir="$WW_CACHE_DIR_RESOLVED/kafka-cds"
  jsa="$dir/kafka-$key.jsa"
  mkdir -p "$dir"
  if [ -s "$jsa" ]; then
    CDS_FLAGS=(-XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
    rm -f "$KAFKA_DIR/cds.pending"
  else
    # Dumped to a temp name; cmd_down publishes it only after a graceful exit.
    CDS_FLAGS=(-XX:ArchiveClassesAtExit="$jsa.tmp.$$" -Xlog:cds=off -Xlog:cds+dynamic=off)
    printf '%s\n%s\n' "$jsa.tmp.$$" "$jsa" >"$KAFKA_DIR/cds.pending"
  fi
}

cds_publish() { # after the broker has exited: keep a complete archive, drop a partial one
  local graceful="$1" tmp final
  [ -f "$KAFKA_DIR/cds.pending" ] || return 0
  { read -r tmp; read -r final; } <"$KAFKA_DIR/cds.pending"
  if [ "$graceful" = 1 ] && [ -s "$tmp" ]; then mv -f "$tmp" "$final"; else rm -f "$tmp"; fi
  rm -f "$KAFKA_DIR/cds.pending"
}

start_java() {
  mkdir -p "$KAFKA_LOGS"
  : >"$KAFKA_CONSOLE"
  cds_flags
  # Detached in its own session (like nohup + setsid, but we still learn the real pid);
  # close_fds keeps our lock fd out of the broker.
  # shellcheck disable=SC2086  # WW_KAFKA_JVM_OPTS is word-split on purpose
  python3 - "$KAFKA_CONSOLE" "$KAFKA_PID_FILE" "$KAFKA_DIR" \
    "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$KAFKA_LOGS" -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
    "${CDS_FLAGS[@]}" ${WW_KAFKA_JVM_OPTS:-} -cp "$LIBS/*" kafka.Kafka "$KAFKA_CONF" <<'PY'
import signal, subprocess, sys
console, pidfile, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(console, "ab") as out:
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                         preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
with open(pidfile, "w") as f:
    f.write(f"{p.pid}\n")
PY
}

show_logs() {
  ww_log "---- tail $KAFKA_CONSOLE"
  tail -n 20 "$KAFKA_CONSOLE" >&2 2>/dev/null || true
  ww_log "---- tail $KAFKA_LOGS/server.log"
  tail -n 40 "$KAFKA_LOGS/server.log" >&2 2>/dev/null || true
}

stop_pid() { # stop_pid PID: SIGTERM, wait, SIGKILL
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT)) graceful=1
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if [ $SECONDS -ge $deadline ]; then
      ww_log "kafka: no exit after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      graceful=0
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  cds_publish "$graceful"
}

# ---------------------------------------------------------------------------------------
cmd_up() {
  local t0=$SECONDS pid
  ww_init_state_dir
  lock_state
  if pid="$(running_pid)"; then
    read_ports
    local until=$((SECONDS + 30))
    while pid_alive "$pid"; do   # give a busy/still-starting broker 30 s before restarting it
      if python3 "$PROBE" "127.0.0.1:$PORT" 3 >/dev/null 2>&1; then
        ww_info "kafka: already running on 127.0.0.1:$PORT (pid $pid)"
        return 0
      fi
      [ $SECONDS -lt $until ] || break
      sleep 1
    done
    ww_log "kafka: pid $pid does not answer on 127.0.0.1:$PORT; restarting it"
    stop_pid "$pid"
  fi
  cds_publish 0   # a broker that died without 'down' may have left a partial archive
  check_java
  ensure_libs
  choose_ports
  write_config
  format_storage
  start_java
  pid="$(cat "$KAFKA_PID_FILE")"

  local deadline=$((SECONDS + START_TIMEOUT)) why=""
  while :; do
    if ! pid_alive "$pid"; then
      show_logs
      ww_die "kafka: broker process exited during startup"
    fi
    if why="$(python3 "$PROBE" "127.0.0.1:$PORT" 2 2>&1 >/dev/null)"; then break; fi
    if [ $SECONDS -ge $deadline ]; then
      show_logs
      stop_pid "$pid"
      ww_die "kafka: not ready after ${START_TIMEOUT}s ($why)"
    fi
    sleep 0.3
  done
  ww_info "kafka: up on 127.0.0.1:$PORT (Kafka $(kafka_version), pid $pid, $((SECONDS - t0))s)"
}

cmd_down() {
  local pid
  if [ -d "$KAFKA_DIR" ]; then lock_state; fi
  if ! pid="$(running_pid)"; then
    rm -f "$KAFKA_PID_FILE"
    ww_info "kafka: not running"
    return 0
  fi
  stop_pid "$pid"
  rm -f "$KAFKA_PID_FILE"
  ww_info "kafka: stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    read_ports
    if python3 "$PROBE" "127.0.0.1:$PORT" 3 >/dev/null 2>&1; then
      ww_log "kafka: running on 127.0.0.1:$PORT (pid $pid)"
      return 0
    fi
    ww_log "kafka: process $pid is up but 127.0.0.1:$PORT does not answer"
    return 3
  fi
  ww_log "kafka: not running"
  return 3
}

cmd_env() {
  read_ports
  cat <<EOF
export WW_KAFKA_BOOTSTRAP=127.0.0.1:$PORT
export WW_TEST_KAFKA=127.0.0.1:$PORT
EOF
}

cmd_reset() {
  cmd_down
  rm -rf "$KAFKA_DIR"
  ww_log "kafka: state deleted ($KAFKA_DIR)"
}

cmd_run() {
  [ $# -ge 1 ] || ww_die "usage: $0 run MAIN_CLASS [ARGS...]"
  libs_present || { check_java; ensure_libs; }
  exec "$JAVA" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" -cp "$LIBS/*" "$@"
}

case "${1:-}" in
  up | start-broker) cmd_up ;;
  down | stop-broker) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  run) shift; cmd_run "$@" ;;
  *) echo "usage: $0 up|down|status|env|reset|start-broker|stop-broker|run CLASS [ARGS...]" >&2; exit 2 ;;
esac
