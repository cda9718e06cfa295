#!/usr/bin/env bash
# Builds every binary the e2e harness runs, from upstream Go modules through the Go module proxy:
# nothing prebuilt can be downloaded here. Idempotent: a binary that already exists is never
# rebuilt, so a warm run costs no Go invocation at all. Everything (binaries, GOMODCACHE, GOCACHE)
# lives under one cache directory, $MULL_E2E_CACHE (default ~/.cache/mull-e2e), keyed by version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${MULL_E2E_CACHE:-$HOME/.cache/mull-e2e}"
bindir="$cache/bin"

log() { printf '[e2e:build] %s\n' "$*" >&2; }

# bin_path NAME VERSION: the layout e2e/bins.ts resolves too.
bin_path() { printf '%s/%s-%s/%s' "$bindir" "$1" "$2" "$1"; }

# Files only ever appear complete (they are moved into place), so existing and non-empty suffices.
have_all() {
  local b
  for b in "$@"; do [[ -s "$b" ]] || return 1; done
}

kube_dir="$bindir/kubernetes-$KUBERNETES_VERSION"
kube_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
kube_paths=("${kube_bins[@]/#/$kube_dir/}")
etcd_bin="$(bin_path etcd "$ETCD_VERSION")"
kwok_bin="$(bin_path kwok "$KWOK_VERSION")"
kwok_stages="$bindir/kwok-$KWOK_VERSION/stages.yaml"
helm_bin="$(bin_path helm "$HELM_VERSION")"
nats_bin="$(bin_path nats-server "$NATS_SERVER_VERSION")"
grpcurl_bin="$(bin_path grpcurl "$GRPCURL_VERSION")"
monitoring_dir="$bindir/prometheus-operator-crds-$PROMETHEUS_OPERATOR_VERSION"
monitoring_crds=("$monitoring_dir/servicemonitors.yaml" "$monitoring_dir/podmonitors.yaml"
  "$monitoring_dir/prometheusrules.yaml")

# The warm path: answer before touching Go, a lock or the network.
if have_all "${kube_paths[@]}" "$etcd_bin" "$kwok_bin" "$kwok_stages" "$helm_bin" "$nats_bin" \
  "$grpcurl_bin" "${monitoring_crds[@]}"; then
  log "all binaries cached in $bindir"
  exit 0
fi

GO="${GO:-$(command -v go || true)}"
[[ -n "$GO" ]] || GO=/usr/local/go/bin/go
[[ -x "$GO" ]] || {
  log "no Go toolchain found (set GO=/path/to/go)"
  exit 1
}
goversion="$("$GO" env GOVERSION)"

export GOMODCACHE="$cache/go/mod"
# Build artefacts depend on the compiler, so key them by Go version; modules are already versioned.
export GOCACHE="$cache/go/build-$goversion"
# Never fetch another toolchain (go.mod toolchain lines would try): only the local Go is allowed.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
# -modcacherw keeps the module cache deletable with a plain rm -rf.
export GOFLAGS="-trimpath -buildvcs=false -modcacherw"

mkdir -p "$bindir" "$cache/work"
# Two builds at once would race on the work directories: serialise them.
exec 9>"$cache/.build.lock"
flock 9

log "go $goversion, cache $cache"
total_start=$SECONDS

# step NAME: prints how long the previous step took; the README's figures come from these lines.
step_start=$SECONDS
step_done() {
  log "$1 built in $((SECONDS - step_start))s"
  step_start=$SECONDS
}

# install_into BIN PACKAGE@VERSION [LDFLAGS]: go install into the binary's own versioned directory.
# The binary is first built into a temporary directory, so an interrupted build never leaves a
# half-written file that a later run would take as cached.
install_into() {
  local bin="$1" pkg="$2" ldflags="${3:-}"
  local tmp
  tmp="$(mktemp -d "$cache/work/install.XXXXXX")"
  GOBIN="$tmp" "$GO" install -ldflags "-s -w $ldflags" "$pkg"
  mkdir -p "$(dirname "$bin")"
  mv "$tmp/$(basename "$bin")" "$bin"
  rm -rf "$tmp"
}

build_etcd() {
  local work="$cache/work/etcd-$ETCD_VERSION"
  rm -rf "$work" && mkdir -p "$work"
  cp "$here/go/etcd/go.mod" "$here/go/etcd/main.go" "$work/"
  (
    cd "$work"
    "$GO" mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    "$GO" mod tidy
    "$GO" build -ldflags "-s -w" -o etcd .
  )
  mkdir -p "$(dirname "$etcd_bin")"
  mv "$work/etcd" "$etcd_bin"
}

build_kubernetes() {
  local work="$cache/work/kube-$KUBERNETES_VERSION"
  rm -rf "$work" && mkdir -p "$work/out"
  cp "$here/go/kube/go.mod" "$work/"
  cd "$work"

  # Kubernetes' go.mod replaces each staging module (k8s.io/api, ...) with ./staging/...; those
  # replaces do not apply to a dependent module, so read the list from that very go.mod and point
  # each at its published v0.X.Y twin instead of hard-coding 30-odd lines that change per release.
  local staging_version="v0.${KUBERNETES_VERSION#v1.}"
  local kube_gomod
  kube_gomod="$("$GO" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [[ -f "$kube_gomod" ]] || {
    log "could not locate k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod"
    exit 1
  }
  local -a edits=("-require=k8s.io/kubernetes@$KUBERNETES_VERSION")
  local m
  while read -r m; do
    edits+=("-replace=$m=$m@$staging_version")
  done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' \
    "$kube_gomod")
  ((${#edits[@]} > 20)) || {
    log "found only $((${#edits[@]} - 1)) staging replaces in $kube_gomod; its format changed?"
    exit 1
  }
  log "kubernetes $KUBERNETES_VERSION: $((${#edits[@]} - 1)) staging modules at $staging_version"
  "$GO" mod edit "${edits[@]}"
  "$GO" mod tidy

  # Without these, /version and `kubectl version` report v0.0.0 and skew checks misfire.
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  "$GO" build -tags selinux,notest -ldflags "$ldflags" -o out/ \
    "${kube_bins[@]/#/k8s.io/kubernetes/cmd/}"
  mkdir -p "$kube_dir"
  for m in "${kube_bins[@]}"; do mv "out/$m" "$kube_dir/$m"; done
  cd - >/dev/null
}

build_kwok() {
  have_all "$kwok_bin" || install_into "$kwok_bin" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # Give kwok explicit stages, taken from its own module so they match the binary: nodes initialise
  # and heartbeat through Leases, scheduled pods turn Running and Ready, deleted pods go away.
  local dir
  dir="$("$GO" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  local s="$dir/kustomize/stage" f out="$kwok_stages.tmp"
  : >"$out"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$s/$f" ]] || {
      log "kwok stage $s/$f is missing"
      exit 1
    }
    printf -- '---\n' >>"$out"
    cat "$s/$f" >>"$out"
    printf '\n' >>"$out"
  done
  mv "$out" "$kwok_stages"
}

# prometheus-operator publishes its CRDs (ServiceMonitor, PodMonitor, PrometheusRule are the chart's) only in its repository, which the Go proxy does not serve
# whole; its API module is served, and controller-gen makes the CRDs from its types the way its
# own Makefile does (crdVersions=v1, allowDangerousTypes for its float fields).
build_monitoring_crds() {
  local work="$cache/work/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION" mod src
  rm -rf "$work" && mkdir -p "$work/bin"
  GOBIN="$work/bin" "$GO" install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_TOOLS_VERSION"
  mod="github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring@$PROMETHEUS_OPERATOR_VERSION"
  src="$("$GO" mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  cp -r "$src" "$work/src" && chmod -R u+w "$work/src"
  (
    cd "$work/src"
    "$GO" mod download
    "$work/bin/controller-gen" crd:crdVersions=v1,allowDangerousTypes=true paths=./v1 \
      output:crd:dir="$work/out"
  )
  mkdir -p "$monitoring_dir"
  for f in servicemonitors podmonitors prometheusrules; do
    mv "$work/out/monitoring.coreos.com_$f.yaml" "$monitoring_dir/$f.yaml"
  done
  rm -rf "$work"
}

if ! have_all "$etcd_bin"; then
  build_etcd
  step_done "etcd $ETCD_VERSION"
fi
if ! have_all "${kube_paths[@]}"; then
  build_kubernetes
  step_done "kubernetes $KUBERNETES_VERSION (${kube_bins[*]})"
fi
if ! have_all "$kwok_bin" "$kwok_stages"; then
  build_kwok
  step_done "kwok $KWOK_VERSION"
fi
if ! have_all "$helm_bin"; then
  install_into "$helm_bin" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  step_done "helm $HELM_VERSION"
fi
if ! have_all "$nats_bin"; then
  install_into "$nats_bin" "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
  step_done "nats-server $NATS_SERVER_VERSION"
fi
if ! have_all "$grpcurl_bin"; then
  install_into "$grpcurl_bin" "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" \
    "-X main.version=$GRPCURL_VERSION"
  step_done "grpcurl $GRPCURL_VERSION"
fi

if ! have_all "${monitoring_crds[@]}"; then
  build_monitoring_crds
  step_done "prometheus-operator CRDs $PROMETHEUS_OPERATOR_VERSION"
fi

log "done in $((SECONDS - total_start))s; binaries in $bindir"
