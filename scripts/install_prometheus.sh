#!/usr/bin/env bash
# Install the `prometheus` and `promtool` binaries from Debian's package, for
# tests/test_observability.py and the end-to-end dashboard check.
#
# Idempotent: does nothing when both binaries are already on PATH. The tests
# start their own short-lived Prometheus, so the packaged service must not be
# left running (it would hold port 9090 and scrape nothing useful).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    echo "install_prometheus: $(prometheus --version 2>&1 | head -n1)"
    echo "install_prometheus: already installed, nothing to do"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

# Debian's maintainer scripts start services through invoke-rc.d, which asks
# policy-rc.d first; exit code 101 means "action forbidden". Containers often
# ship such a file already; only add (and later remove) our own if none exists.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    created_policy=1
fi
cleanup() {
    if [[ "$created_policy" -eq 1 ]]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus

# Belt and braces: if a service manager started the packaged server anyway,
# stop it and keep it from starting on boot.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
elif [[ -x /etc/init.d/prometheus ]]; then
    $SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi

if command -v ss >/dev/null 2>&1 && ss -ltn 'sport = :9090' | grep -q LISTEN; then
    echo "install_prometheus: something still listens on :9090; stop it before running the tests" >&2
    exit 1
fi

echo "install_prometheus: $(prometheus --version 2>&1 | head -n1)"
echo "install_prometheus: $(promtool --version 2>&1 | head -n1)"
