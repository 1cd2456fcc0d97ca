#!/usr/bin/env bash
# Install the given Debian packages, but only those not already installed.
# `apt-get update` runs only when something actually has to be installed.
#
#   bash scripts/ensure_apt.sh chromium poppler-utils ...
#
# Runs as root directly, or through sudo when available.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "apt: already installed: $*"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ERROR: missing system packages (${missing[*]}) and no apt-get on this machine." >&2
    echo "       Install them with your system's package manager." >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "ERROR: missing system packages (${missing[*]}); run as root or install sudo." >&2
        exit 1
    fi
fi

echo "apt: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
