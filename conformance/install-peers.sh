#!/usr/bin/env bash
# Installs what `cargo xtask conformance` needs to run the live third-party
# RFC 2217 servers: ser2net, sredird and socat (Debian packages) and
# pyserial 3.5 (PyPI, for conformance/peers/pyserial_server.py and
# pyserial's client). Run as root on Debian; idempotent: whatever is
# already there is left alone, and with everything there it needs no root.
#
# Installing the ser2net package must not start the system's own ser2net
# (Debian's /etc/ser2net.yaml listens on ports 2000-3001): while apt-get
# runs, a policy-rc.d that forbids service starts is in place, unless the
# machine already has one.
set -euo pipefail

readonly PYSERIAL_VERSION=3.5
readonly POLICY_RC_D=/usr/sbin/policy-rc.d

log() { printf 'install-peers: %s\n' "$*"; }

# Debian puts ser2net and sredird in /usr/sbin, not always in a user's PATH.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

has_pyserial() {
    python3 -c "import serial, sys; sys.exit(serial.VERSION != '$PYSERIAL_VERSION')" 2>/dev/null
}

packages=()
for binary in ser2net sredird socat; do
    have "$binary" || packages+=("$binary")
done
need_pyserial=false
if ! has_pyserial; then
    need_pyserial=true
    have python3 || packages+=(python3)
    python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
fi

if [ ${#packages[@]} -eq 0 ] && ! $need_pyserial; then
    log "ser2net, sredird, socat and pyserial $PYSERIAL_VERSION are installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    wanted=("${packages[@]}")
    if $need_pyserial; then wanted+=("pyserial==$PYSERIAL_VERSION"); fi
    log "must run as root to install ${wanted[*]}" >&2
    exit 1
fi

if [ ${#packages[@]} -gt 0 ]; then
    log "installing ${packages[*]} with apt-get"
    created_policy=false
    remove_policy() { if $created_policy; then rm -f "$POLICY_RC_D"; fi; }
    trap remove_policy EXIT
    trap 'exit 1' HUP INT TERM
    if [ ! -e "$POLICY_RC_D" ]; then
        printf '#!/bin/sh\n# install-peers.sh: no service starts while it installs\nexit 101\n' >"$POLICY_RC_D"
        chmod 755 "$POLICY_RC_D"
        created_policy=true
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${packages[@]}"
    remove_policy
    created_policy=false
fi

if $need_pyserial; then
    log "installing pyserial==$PYSERIAL_VERSION with pip"
    # Debian's Python is "externally managed" (PEP 668); this machine is a
    # test machine, so pyserial goes into it anyway. Older pips ignore the
    # variable.
    PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore python3 -m pip install \
        --quiet --no-input --disable-pip-version-check "pyserial==$PYSERIAL_VERSION"
fi

missing=()
for binary in ser2net sredird socat; do
    have "$binary" || missing+=("$binary")
done
has_pyserial || missing+=("pyserial $PYSERIAL_VERSION")
if [ ${#missing[@]} -gt 0 ]; then
    log "still missing: ${missing[*]}" >&2
    exit 1
fi
log "ser2net, sredird, socat and pyserial $PYSERIAL_VERSION are installed"
