#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) on 127.0.0.1,
# without Docker. Jars come from Maven Central through pom.xml beside this script and are
# cached outside git. Usage and environment: see README.md in this folder, or `kafka.sh help`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly HOST=127.0.0.1

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
NEWSFLOW_CACHE="${NEWSFLOW_CACHE:-${HOME}/.cache/newsflow}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-${NEWSFLOW_CACHE}/kafka-data-${KAFKA_PORT}}"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-${NEWSFLOW_CACHE}/kafka-${KAFKA_VERSION}/libs}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx768m}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"
KAFKA_LOG4J2_VERSION="${KAFKA_LOG4J2_VERSION:-2.24.3}"
KAFKA_CDS="${KAFKA_CDS:-1}"
KAFKA_FORMAT_ARGS="${KAFKA_FORMAT_ARGS:-}"
# A fixed id keeps the data dir reusable across `clean`-less restarts and is valid base64url
# of 16 bytes ("newsflow-local-1"), which is all KRaft asks of a cluster id.
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-bmV3c2Zsb3ctbG9jYWwtMQ}"
JAVA="${JAVA_HOME:+${JAVA_HOME}/bin/}java"

readonly PROPS="${KAFKA_DATA_DIR}/server.properties"
readonly PID_FILE="${KAFKA_DATA_DIR}/kafka.pid"
readonly LOG_FILE="${KAFKA_DATA_DIR}/kafka.log"
readonly LOG_DIRS="${KAFKA_DATA_DIR}/logs"
readonly VERSION_FILE="${KAFKA_DATA_DIR}/kafka.version"

say() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<EOF
usage: kafka.sh start|stop|status|restart|kill|clean|fetch|config|ping|help
       kafka.sh throttle CLIENT_ID BYTES_PER_SECOND

  start    fetch jars if missing, format storage if new, start, wait until it answers
  stop     SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT s; no-op when not running
  status   exit 0 when running and answering a metadata request, 1 otherwise
  restart  stop + start, keeping the data
  kill     SIGKILL at once, keeping the data (a crash, for fault tests)
  clean    stop, then delete KAFKA_DATA_DIR
  fetch    only resolve the jars into KAFKA_LIBS_DIR
  config   only write and print the server.properties that start would use
  ping     exit 0 when any broker on ${HOST}:KAFKA_PORT answers metadata (no pid check)
  throttle cap what clients with this client id may produce, in bytes/s (a broker quota; 0 removes
           it): a slow output, for back-pressure tests

now: version ${KAFKA_VERSION}, ${HOST}:${KAFKA_PORT} (controller ${KAFKA_CONTROLLER_PORT}),
     data ${KAFKA_DATA_DIR}, jars ${KAFKA_LIBS_DIR}
EOF
}

validate() {
    [[ "${KAFKA_VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KAFKA_VERSION '${KAFKA_VERSION}' is not X.Y.Z"
    local name value
    for name in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT; do
        value="${!name}"
        [[ "${value}" =~ ^[0-9]+$ ]] || die "${name} '${value}' is not a number"
    done
    for name in KAFKA_PORT KAFKA_CONTROLLER_PORT; do
        value="${!name}"
        (( value >= 1 && value <= 65535 )) || die "${name} ${value} is not a TCP port"
    done
    [[ "${KAFKA_CDS}" == 0 || "${KAFKA_CDS}" == 1 ]] || die "KAFKA_CDS '${KAFKA_CDS}' is not 0 or 1"
    (( KAFKA_PORT != KAFKA_CONTROLLER_PORT )) || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both ${KAFKA_PORT}"
    [[ -z "${KAFKA_EXTRA_CONFIG}" || -f "${KAFKA_EXTRA_CONFIG}" ]] \
        || die "KAFKA_EXTRA_CONFIG '${KAFKA_EXTRA_CONFIG}' is not a file"
    case "${KAFKA_DATA_DIR}" in
        "" | / | "${HOME:-}" | "${HOME:-}/") die "KAFKA_DATA_DIR '${KAFKA_DATA_DIR}' is not a safe data dir" ;;
    esac
}

major_version() { printf '%s' "${KAFKA_VERSION%%.*}"; }

# --- jars -------------------------------------------------------------------------------------

fetch_libs() {
    if [[ -f "${KAFKA_LIBS_DIR}/kafka_2.13-${KAFKA_VERSION}.jar" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (Debian: apt-get install maven)"
    local major profile parent staging started mvn_log
    major="$(major_version)"
    case "${major}" in
        3) profile=kafka3 ;;
        4) profile=kafka4 ;;
        *) die "KAFKA_VERSION ${KAFKA_VERSION}: only 3.x and 4.x are supported" ;;
    esac
    parent="$(dirname "${KAFKA_LIBS_DIR}")"
    mkdir -p "${parent}"
    # Download into a staging dir and rename, so an interrupted fetch never looks complete.
    staging="$(mktemp -d "${parent}/libs.partial.XXXXXX")"
    started="${SECONDS}"
    say "fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${KAFKA_LIBS_DIR}"
    mvn_log="${parent}/mvn.log"
    # mvn -q still prints terminal escape codes, so its output goes to a log shown on failure.
    if ! mvn -q -B -f "${HERE}/pom.xml" -P "${profile}" -Dkafka.version="${KAFKA_VERSION}" \
        -Dlog4j2.version="${KAFKA_LOG4J2_VERSION}" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${staging}" \
        >"${mvn_log}" 2>&1; then
        tail -n 30 "${mvn_log}" >&2
        rm -rf "${staging}"
        die "mvn could not resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION} (log: ${mvn_log})"
    fi
    rm -rf "${KAFKA_LIBS_DIR}"
    mv "${staging}" "${KAFKA_LIBS_DIR}"
    say "fetched $(find "${KAFKA_LIBS_DIR}" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
}

# --- config -----------------------------------------------------------------------------------

write_logging_config() {
    if [[ "$(major_version)" == 3 ]]; then
        cat >"${KAFKA_DATA_DIR}/log4j.properties" <<EOF
log4j.rootLogger=${KAFKA_LOG_LEVEL}, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
    else
        cat >"${KAFKA_DATA_DIR}/log4j2.properties" <<EOF
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${KAFKA_LOG_LEVEL}
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
    fi
}

logging_opts() {
    if [[ "$(major_version)" == 3 ]]; then
        printf '%s' "-Dlog4j.configuration=file:${KAFKA_DATA_DIR}/log4j.properties"
    else
        printf '%s' "-Dlog4j2.configurationFile=${KAFKA_DATA_DIR}/log4j2.properties"
    fi
}

# Kafka reads this file with java.util.Properties.load, where a later duplicate key replaces an
# earlier one; so lines appended from KAFKA_EXTRA_CONFIG override the defaults written here.
write_server_properties() {
    cat >"${PROPS}" <<EOF
# Generated by deploy/kafka-local/kafka.sh on every start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${KAFKA_CONTROLLER_PORT}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=${LOG_DIRS}

# One node: every internal topic has one replica, or transactions and groups never start.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50: fewer files, faster first group join.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
# Kafka's default, kept: newsflow pre-creates its topics; set it false via KAFKA_EXTRA_CONFIG
# to prove that nothing depends on auto-creation.
auto.create.topics.enable=true
log.retention.check.interval.ms=30000
num.network.threads=2
num.io.threads=4
EOF
    if [[ -n "${KAFKA_EXTRA_CONFIG}" ]]; then
        {
            printf '\n# From KAFKA_EXTRA_CONFIG=%s (later keys win)\n' "${KAFKA_EXTRA_CONFIG}"
            cat "${KAFKA_EXTRA_CONFIG}"
            printf '\n'
        } >>"${PROPS}"
    fi
}

# Sets JAVA_CMD to the JVM command line in front of a main class.
java_cmd() {
    # KAFKA_HEAP_OPTS and KAFKA_OPTS hold several JVM flags each, so they are split on purpose.
    # shellcheck disable=SC2206
    JAVA_CMD=("${JAVA}" ${KAFKA_HEAP_OPTS} -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -Djava.awt.headless=true "$(logging_opts)" ${KAFKA_OPTS} -cp "${KAFKA_LIBS_DIR}/*")
}

# Class data sharing (AppCDS): the first broker run records the classes it loaded and the JVM
# writes them to an archive when that broker exits cleanly; later starts map the archive instead
# of parsing and verifying those classes again. Measured on 2 busy cores: warm start 9.9-16.8 s
# without, 4.4-12.6 s with. The archive belongs to one jar set and one java binary, so its name
# carries the binary's path and mtime; a JVM that cannot use an archive ignores it (-Xshare:auto).
cds_archive() {
    local java_bin key
    java_bin="$(readlink -f "$(command -v "${JAVA}")")"
    key="$(printf '%s %s' "${java_bin}" "$(stat -L -c %Y "${java_bin}")" | cksum | cut -d' ' -f1)"
    printf '%s' "$(dirname "${KAFKA_LIBS_DIR}")/broker-cds-${key}.jsa"
}

# Sets CDS_OPTS for the broker JVM: use the archive, or ask for one to be written at exit.
cds_opts() {
    local archive
    CDS_OPTS=()
    [[ "${KAFKA_CDS}" == 1 ]] || return 0
    archive="$(cds_archive)"
    if [[ -s "${archive}" ]]; then
        CDS_OPTS=("-XX:SharedArchiveFile=${archive}")
    else
        # Written under a name of its own (several brokers may share the cache) and renamed by
        # stop_broker after a clean exit, so an archive cut short by SIGKILL is never used.
        CDS_OPTS=("-XX:ArchiveClassesAtExit=${archive}.partial-$$-${RANDOM}")
    fi
}

# The archive a running broker will write at exit, read from its command line ("" when none).
pending_archive() {
    { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null || true; } | sed -n 's/^-XX:ArchiveClassesAtExit=//p' | head -n 1
}

# KRaft metadata written by a newer Kafka cannot be read by an older one, so a data dir remembers
# the last version that ran on it and a downgrade stops here with a clear message.
check_data_version() {
    local previous newest
    [[ -f "${VERSION_FILE}" ]] || return 0
    previous="$(<"${VERSION_FILE}")"
    [[ "${previous}" != "${KAFKA_VERSION}" ]] || return 0
    newest="$(printf '%s\n%s\n' "${previous}" "${KAFKA_VERSION}" | sort -V | tail -n 1)"
    if [[ "${newest}" == "${previous}" ]]; then
        die "${KAFKA_DATA_DIR} was last used by Kafka ${previous}; ${KAFKA_VERSION} cannot downgrade it: run 'kafka.sh clean' or set KAFKA_DATA_DIR"
    fi
    say "data dir was last used by Kafka ${previous}; starting ${KAFKA_VERSION} on it (upgrade)"
}

format_storage() {
    if [[ -f "${LOG_DIRS}/meta.properties" ]]; then
        return 0
    fi
    say "formatting KRaft storage in ${LOG_DIRS} (cluster id ${KAFKA_CLUSTER_ID})"
    java_cmd
    # Extra format flags, e.g. --add-scram 'SCRAM-SHA-512=[name=alice,password=secret]', split on
    # whitespace on purpose; they apply only when a data dir is formatted, i.e. on its first start.
    local -a extra=()
    read -r -a extra <<<"${KAFKA_FORMAT_ARGS}"
    "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "${KAFKA_CLUSTER_ID}" -c "${PROPS}" --ignore-formatted \
        ${extra[@]+"${extra[@]}"} >>"${LOG_FILE}" 2>&1 || { tail -n 20 "${LOG_FILE}" >&2; die "storage format failed"; }
}

# --- process ----------------------------------------------------------------------------------

# The PID of our broker if it is alive, checked against its command line so that a reused PID
# of some other process is never taken for (or killed as) the broker.
broker_pid() {
    local pid
    [[ -f "${PID_FILE}" ]] || return 1
    pid="$(<"${PID_FILE}")"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    kill -0 "${pid}" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
    printf '%s' "${pid}"
}

port_open() {
    (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# Sends a Kafka Metadata v1 request (no topics) over bash's /dev/tcp and succeeds when the reply
# carries our correlation id and lists at least one broker. A fenced or still-starting broker
# refuses the connection or lists none. It needs no JVM (~10 ms instead of ~2 s a try); v1 is
# accepted by every broker from 0.10 to 4.x.
answers_metadata() {
    local port="$1" reply
    local -a b
    # size=22 | api_key=3 api_version=1 correlation_id=7 client_id="kafka.sh" | topics=[] (none)
    # shellcheck disable=SC2016  # $0/$1 expand in the child bash, on purpose
    reply="$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "\x00\x00\x00\x16\x00\x03\x00\x01\x00\x00\x00\x07\x00\x08kafka.sh\x00\x00\x00\x00" >&3
        head -c 12 <&3 | od -An -tu1 -v
    ' "${HOST}" "${port}" 2>/dev/null)" || return 1
    read -r -a b <<<"${reply}"
    # bytes 0-3 size, 4-7 correlation id, 8-11 number of brokers
    (( ${#b[@]} == 12 )) || return 1
    (( b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 7 )) || return 1
    (( b[8] == 0 && b[9] == 0 && b[10] == 0 && b[11] >= 1 ))
}

wait_until_ready() {
    local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    while (( SECONDS < deadline )); do
        if answers_metadata "${KAFKA_PORT}"; then
            return 0
        fi
        if ! kill -0 "${pid}" 2>/dev/null; then
            say "broker process ${pid} exited during startup; last log lines:" >&2
            tail -n 30 "${LOG_FILE}" >&2
            rm -f "${PID_FILE}"
            die "start failed (full log: ${LOG_FILE})"
        fi
        sleep 0.5
    done
    say "no metadata answer on ${HOST}:${KAFKA_PORT} after ${KAFKA_START_TIMEOUT} s; last log lines:" >&2
    tail -n 30 "${LOG_FILE}" >&2
    stop_broker >&2
    die "start timed out (full log: ${LOG_FILE})"
}

start_broker() {
    local pid port started="${SECONDS}"
    if pid="$(broker_pid)"; then
        if answers_metadata "${KAFKA_PORT}"; then
            say "already running (pid ${pid}) on ${HOST}:${KAFKA_PORT}"
            return 0
        fi
        say "process ${pid} is up but not answering yet; waiting"
        wait_until_ready "${pid}"
        say "ready (pid ${pid}) on ${HOST}:${KAFKA_PORT}"
        return 0
    fi
    for port in "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}"; do
        if port_open "${port}"; then
            die "${HOST}:${port} is already in use by a process this script did not start (pid file ${PID_FILE})"
        fi
    done
    check_data_version
    command -v "${JAVA}" >/dev/null || die "java not found (Kafka ${KAFKA_VERSION} needs Java 17)"
    fetch_libs
    mkdir -p "${KAFKA_DATA_DIR}"
    printf '%s\n' "${KAFKA_VERSION}" >"${VERSION_FILE}"
    # One previous log is kept, so a failure's log tail shows this run only.
    if [[ -f "${LOG_FILE}" ]]; then
        mv -f "${LOG_FILE}" "${LOG_FILE}.1"
    fi
    write_logging_config
    write_server_properties
    format_storage
    say "starting Kafka ${KAFKA_VERSION} on ${HOST}:${KAFKA_PORT} (log ${LOG_FILE})"
    # setsid + nohup: the broker outlives this shell and its terminal. The child writes its own
    # PID before exec, so the pid file names the JVM itself.
    rm -f "${PID_FILE}"
    java_cmd
    cds_opts
    # shellcheck disable=SC2016  # $$, $0 and $@ belong to the child bash
    setsid nohup bash -c 'printf "%s" "$$" >"$0" && exec "$@"' "${PID_FILE}" \
        "${JAVA_CMD[@]}" ${CDS_OPTS[@]+"${CDS_OPTS[@]}"} kafka.Kafka "${PROPS}" \
        </dev/null >>"${LOG_FILE}" 2>&1 9>&- &
    local waited=0
    while [[ ! -s "${PID_FILE}" ]] && (( waited < 100 )); do
        sleep 0.1
        waited=$((waited + 1))
    done
    [[ -s "${PID_FILE}" ]] || die "the broker launcher wrote no ${PID_FILE}; see ${LOG_FILE}"
    pid="$(<"${PID_FILE}")"
    wait_until_ready "${pid}"
    say "ready (pid ${pid}) on ${HOST}:${KAFKA_PORT} after $((SECONDS - started)) s"
}

kill_broker() {
    local pid archive
    if ! pid="$(broker_pid)"; then
        rm -f "${PID_FILE}"
        say "not running (data ${KAFKA_DATA_DIR})"
        return 0
    fi
    archive="$(pending_archive "${pid}")"
    kill -KILL "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
    [[ -z "${archive}" ]] || rm -f "${archive}"
    rm -f "${PID_FILE}"
    say "killed pid ${pid} (SIGKILL)"
}

stop_broker() {
    local pid archive timeout="${KAFKA_STOP_TIMEOUT}" waited=0
    if ! pid="$(broker_pid)"; then
        rm -f "${PID_FILE}"
        say "not running (data ${KAFKA_DATA_DIR})"
        return 0
    fi
    archive="$(pending_archive "${pid}")"
    if [[ -n "${archive}" ]]; then
        # Writing the class archive adds a few seconds (up to 15 s on 2 busy cores) after shutdown.
        timeout=$((timeout + 60))
        say "stopping pid ${pid} (it writes the class-data archive for faster starts on exit)"
    else
        say "stopping pid ${pid}"
    fi
    kill -TERM "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null && (( waited < timeout * 10 )); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "${pid}" 2>/dev/null; then
        say "pid ${pid} still alive after ${timeout} s; sending SIGKILL"
        kill -KILL "${pid}" 2>/dev/null || true
        while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
        [[ -z "${archive}" ]] || rm -f "${archive}"
    elif [[ -n "${archive}" && -s "${archive}" ]]; then
        mv -f "${archive}" "${archive%.partial-*}"
    fi
    rm -f "${PID_FILE}"
    say "stopped"
}

status_broker() {
    local pid
    if ! pid="$(broker_pid)"; then
        say "not running (data ${KAFKA_DATA_DIR})"
        return 1
    fi
    if ! answers_metadata "${KAFKA_PORT}"; then
        say "process ${pid} is alive but not answering on ${HOST}:${KAFKA_PORT}"
        return 1
    fi
    say "running (pid ${pid}) on ${HOST}:${KAFKA_PORT}"
}

clean_data() {
    stop_broker
    if [[ -d "${KAFKA_DATA_DIR}" ]]; then
        rm -rf "${KAFKA_DATA_DIR}"
        say "deleted ${KAFKA_DATA_DIR}"
    else
        say "nothing to delete at ${KAFKA_DATA_DIR}"
    fi
}

# A client quota set through the broker's admin API (kafka-configs), so it applies at once and
# survives nothing but the data dir.
throttle_client() {
    local client="$1" rate="$2" shown
    local -a change
    [[ "${rate}" =~ ^[0-9]+$ ]] || die "throttle: BYTES_PER_SECOND must be a whole number, got '${rate}'"
    if (( rate == 0 )); then
        change=(--delete-config producer_byte_rate)
        shown="none"
    else
        change=(--add-config "producer_byte_rate=${rate}")
        shown="${rate} bytes/s"
    fi
    answers_metadata "${KAFKA_PORT}" || die "no broker answers on ${HOST}:${KAFKA_PORT}"
    java_cmd
    if (( rate == 0 )) && ! "${JAVA_CMD[@]}" kafka.admin.ConfigCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" \
        --describe --entity-type clients --entity-name "${client}" 2>/dev/null | grep -q producer_byte_rate; then
        # kafka-configs refuses to delete a quota that is not set; lifting one twice is no error.
        say "producer_byte_rate for client id '${client}': none"
        return 0
    fi
    "${JAVA_CMD[@]}" kafka.admin.ConfigCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" --alter \
        --entity-type clients --entity-name "${client}" "${change[@]}" >/dev/null \
        || die "throttle: kafka-configs failed for client id '${client}'"
    say "producer_byte_rate for client id '${client}': ${shown}"
}

# Serialises start/stop/restart/clean on one data dir, so two concurrent starts cannot both
# launch a JVM and overwrite each other's pid file. The lock file sits beside the data dir so
# that `stop` does not create the data dir and `clean` can delete it.
take_lock() {
    local lock="${KAFKA_DATA_DIR%/}.lock"
    mkdir -p "$(dirname "${lock}")"
    exec 9>"${lock}"
    flock -w $((KAFKA_START_TIMEOUT + KAFKA_STOP_TIMEOUT + 60)) 9 || die "another kafka.sh holds ${lock}"
}

main() {
    if [[ "${1:-}" == throttle ]]; then
        (( $# == 3 )) || { usage >&2; exit 2; }
        validate
        throttle_client "$2" "$3"
        return
    fi
    if (( $# != 1 )); then
        usage >&2
        exit 2
    fi
    case "$1" in
        help | -h | --help) usage; return 0 ;;
        start | stop | status | restart | kill | clean | fetch | config | ping) ;;
        *) usage >&2; exit 2 ;;
    esac
    validate
    case "$1" in
        start | stop | restart | kill | clean) take_lock ;;
    esac
    case "$1" in
        start) start_broker ;;
        stop) stop_broker ;;
        status) status_broker ;;
        restart) stop_broker; start_broker ;;
        kill) kill_broker ;;
        clean) clean_data ;;
        fetch) fetch_libs; say "jars in ${KAFKA_LIBS_DIR}" ;;
        config) mkdir -p "${KAFKA_DATA_DIR}"; write_server_properties; cat "${PROPS}" ;;
        ping)
            if answers_metadata "${KAFKA_PORT}"; then
                say "a broker answers on ${HOST}:${KAFKA_PORT}"
            else
                say "no broker answers on ${HOST}:${KAFKA_PORT}"
                return 1
            fi
            ;;
    esac
}

main "$@"
