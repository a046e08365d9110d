#!/usr/bin/env bash
# Times kafka.sh: one cold start (empty Maven repo, empty cache: download + format + start) and
# its stop (which writes the class-data archive), then three rounds of a warm start without the
# archive (KAFKA_CDS=0, the baseline) and one with it, each followed by status,
# start-when-running and stop. Everything goes to a fresh folder under /tmp (or BENCH_DIR),
# deleted at the end; ~/.m2 is not touched.
#   deploy/kafka-local/bench.sh [VERSION...]        (default: 3.9.2 4.1.1)
set -euo pipefail

script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka.sh"
work="${BENCH_DIR:-$(mktemp -d /tmp/kafka-local-bench.XXXXXX)}"
export KAFKA_PORT="${KAFKA_PORT:-19092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export NEWSFLOW_CACHE="${work}/cache"
trap 'rm -rf "${work}"' EXIT

seconds() {
    local start end
    start="$(date +%s%N)"
    "$@" >/dev/null
    end="$(date +%s%N)"
    printf '%d.%02d' $(((end - start) / 1000000000)) $(((end - start) / 10000000 % 100))
}

(($# > 0)) || set -- 3.9.2 4.1.1
for version in "$@"; do
    export KAFKA_VERSION="${version}" KAFKA_DATA_DIR="${work}/data-${version}"
    cold="$(MAVEN_OPTS="-Dmaven.repo.local=${work}/m2-${version}" seconds bash "${script}" start)"
    stop="$(seconds bash "${script}" stop)"
    echo "${version} cold start (empty Maven repo and cache): ${cold} s; stop ${stop} s"
    for run in 1 2 3; do
        base="$(KAFKA_CDS=0 seconds bash "${script}" start)"
        bash "${script}" stop >/dev/null
        warm="$(seconds bash "${script}" start)"
        status="$(seconds bash "${script}" status)"
        again="$(seconds bash "${script}" start)"
        stop="$(seconds bash "${script}" stop)"
        ratio="$(awk -v a="${warm}" -v b="${base}" 'BEGIN { printf "%.2f", a / b }')"
        echo "${version} warm #${run}: start ${warm} s (without CDS ${base} s, ratio ${ratio});" \
            "status ${status} s; start when running ${again} s; stop ${stop} s;" \
            "load $(cut -d' ' -f1 /proc/loadavg)"
    done
done
