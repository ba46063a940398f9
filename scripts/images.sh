#!/usr/bin/env bash
# Builds the five Parley service images with Jib (no Docker engine) and checks them on this machine.
#
#   1. a JRE 17 base image without Docker: mmdebstrap (Debian bookworm, openjdk-17-jre-headless, user 185)
#      -> umoci (OCI layout) -> skopeo -> a registry on 127.0.0.1 that this script starts (Debian's
#      docker-registry) and stops again;
#   2. the five images with Quarkus Jib, pushed to that registry (quarkus.container-image.push=true);
#   3. each image checked with skopeo inspect: user 185, entrypoint, exposed port 8080, OCI labels;
#   4. tarballs: every image copied to target/images/tarballs/<module>.tar (oci-archive: podman load,
#      ctr image import, kind load image-archive, docker load from Docker 25), and a path with no registry at
#      all for model-simulator: the base image from a tarball (quarkus.jib.base-jvm-image=tar://...), Jib hands
#      the result to `podman load` (quarkus.jib.docker-executable-name=podman), then `podman save`;
#   5. model-simulator and model-registry-service run with podman as the chart runs them: user 185, read-only
#      root, a tmpfs /tmp only, all capabilities dropped; GET /q/health/live must answer UP (the registry's
#      /q/health/ready too), / must not be writable, /tmp must be; SIGTERM stops them.
#
# Everything lands in target/images/ (ignored by git); the summary in target/images/report.md.
# Needs root (mmdebstrap) and the Debian packages below (installed with apt-get when missing and root).
# Bounded: the whole run is killed after PARLEY_IMAGES_TIMEOUT seconds (default 1800). Loopback only.
# Idempotent: the base image is built once (PARLEY_IMAGES_REBUILD_BASE=1 rebuilds it); reruns re-push.
#
# Settings (environment):
#   PARLEY_IMAGES_DIR            work folder (default target/images)
#   PARLEY_IMAGES_REGISTRY_PORT  port of the loopback registry (default 5000)
#   PARLEY_IMAGES_RUN_PORT       first of the three loopback ports of the run checks (default 18490)
#   PARLEY_IMAGE_TAG             tag of the service images (default: the short commit id)
#   PARLEY_IMAGES_SOURCE         head (default: build a git archive of HEAD, so other people's half-edited
#                                working tree is neither built nor disturbed) or worktree (build in place)
#   PARLEY_IMAGES_TIMEOUT        seconds before the whole run is stopped (default 1800)
#   PARLEY_IMAGES_OCI_RUNTIME    runtime podman runs the image with (default runc when installed, else crun)
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TIMEOUT=${PARLEY_IMAGES_TIMEOUT:-1800}

# Bound the whole run: re-executed under timeout(1), whose TERM reaches the cleanup trap below.
if [[ -z "${PARLEY_IMAGES_BOUNDED:-}" ]]; then
    export PARLEY_IMAGES_BOUNDED=1
    exec timeout --kill-after=30 "$TIMEOUT" "$0" "$@"
fi

WORK=${PARLEY_IMAGES_DIR:-$ROOT/target/images}
PORT=${PARLEY_IMAGES_REGISTRY_PORT:-5000}
RUN_PORT=${PARLEY_IMAGES_RUN_PORT:-18490}
REGISTRY=127.0.0.1:$PORT
SOURCE=${PARLEY_IMAGES_SOURCE:-head}
TAG=${PARLEY_IMAGE_TAG:-$(git -C "$ROOT" rev-parse --short HEAD)}
REVISION=$(git -C "$ROOT" rev-parse HEAD)
MODULES=(model-simulator model-registry-service usage-service inference-proxy-service chat-service)
BASE_IMAGE=$REGISTRY/parley/jre17:17-bookworm
PACKAGES=(docker-registry skopeo umoci mmdebstrap podman runc curl python3)

REGISTRY_PID=""
CONTAINERS=()
RUN_NOTES=()
export CONTAINERS_STORAGE_CONF=$WORK/podman/storage.conf

log() { printf '\n== %s\n' "$*"; }
fail() { printf 'images.sh: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local status=$?
    local id
    for id in "${CONTAINERS[@]}"; do
        podman stop -t 10 "$id" >/dev/null 2>&1 || true
        podman rm -f "$id" >/dev/null 2>&1 || true
    done
    stop_registry
    exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------------------------------------- tools
need_tools() {
    local missing=()
    for package in "${PACKAGES[@]}"; do
        command -v "$package" >/dev/null || missing+=("$package")
    done
    command -v mvn >/dev/null || fail "mvn is not on PATH"
    [[ $SOURCE == worktree ]] || command -v git >/dev/null || fail "git is not on PATH"
    if ((${#missing[@]})); then
        if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
            log "installing ${missing[*]} (apt-get)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/logs/apt.log" 2>&1 \
                || fail "apt-get install ${missing[*]} failed, see $WORK/logs/apt.log"
        else
            fail "missing ${missing[*]}: as root, apt-get install -y ${missing[*]}"
        fi
    fi
    [[ $EUID -eq 0 ]] || fail "mmdebstrap needs root here (or build the base image elsewhere)"
}

# -------------------------------------------------------------------------------------- base image
# Debian bookworm with the headless JRE 17 and CA certificates, the user 185 (group 0, home /home/jboss,
# like the UBI OpenJDK images Quarkus defaults to); no docs, man pages, locales, apt lists or device nodes.
build_base() {
    local rootfs=$WORK/base/rootfs.tar layout=$WORK/base/oci
    if [[ -f $rootfs && -z "${PARLEY_IMAGES_REBUILD_BASE:-}" ]]; then
        log "base root filesystem: reusing $rootfs"
    else
        log "base root filesystem: mmdebstrap bookworm + openjdk-17-jre-headless (a few minutes)"
        rm -f "$rootfs" "$rootfs.partial"
        mmdebstrap --variant=essential --format=tar --include=openjdk-17-jre-headless,ca-certificates \
            --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
            --customize-hook='echo "jboss:x:185:0:Parley service user:/home/jboss:/usr/sbin/nologin" >> "$1/etc/passwd"' \
            --customize-hook='mkdir -p "$1/home/jboss" && chown 185:0 "$1/home/jboss" && chmod 775 "$1/home/jboss"' \
            --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
            --skip=output/dev bookworm "$rootfs.partial" >"$WORK/logs/mmdebstrap.log" 2>&1 \
            || fail "mmdebstrap failed, see $WORK/logs/mmdebstrap.log"
        mv "$rootfs.partial" "$rootfs"
        rm -rf "$layout"
    fi
    if [[ ! -d $layout ]]; then
        log "base image: OCI layout with umoci"
        umoci init --layout "$layout"
        umoci new --image "$layout:jre17"
        umoci raw add-layer --image "$layout:jre17" \
            --history.created_by "mmdebstrap --variant=essential bookworm openjdk-17-jre-headless ca-certificates" "$rootfs"
        umoci config --image "$layout:jre17" --os linux --architecture amd64 \
            --config.user 185 --config.workingdir /home/jboss \
            --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            --config.env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
            --config.label org.opencontainers.image.title=parley-jre17
    fi
}

# ------------------------------------------------------------------------------- loopback registry
start_registry() {
    mkdir -p "$WORK/registry/data"
    stop_registry # a run killed with -9 may have left ours behind
    if curl -s -o /dev/null "http://$REGISTRY/v2/"; then
        fail "something else already listens on $REGISTRY: set PARLEY_IMAGES_REGISTRY_PORT"
    fi
    cat >"$WORK/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
    log "registry: docker-registry on $REGISTRY"
    docker-registry serve "$WORK/registry/config.yml" >"$WORK/logs/registry.log" 2>&1 &
    REGISTRY_PID=$!
    echo "$REGISTRY_PID" >"$WORK/registry/pid"
    for _ in $(seq 1 50); do
        curl -sf -o /dev/null "http://$REGISTRY/v2/" && return 0
        kill -0 "$REGISTRY_PID" 2>/dev/null || fail "docker-registry exited, see $WORK/logs/registry.log"
        sleep 0.2
    done
    fail "docker-registry did not answer on $REGISTRY"
}

is_our_registry() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "docker-registry serve $WORK/registry/config.yml"
}

# Stops the registry this script started (its PID, checked to be our docker-registry with our config).
stop_registry() {
    local pid=${REGISTRY_PID:-}
    [[ -n $pid ]] || pid=$(cat "$WORK/registry/pid" 2>/dev/null || true)
    [[ -n $pid ]] || return 0
    if is_our_registry "$pid"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do is_our_registry "$pid" || break; sleep 0.1; done
        if is_our_registry "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$WORK/registry/pid"
    REGISTRY_PID=""
}

push_base() {
    log "base image: push to $BASE_IMAGE"
    skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/base/oci:jre17" "docker://$BASE_IMAGE"
}

# ------------------------------------------------------------------------------------ service images
prepare_source() {
    if [[ $SOURCE == worktree ]]; then
        SRC=$ROOT
    else
        SRC=$WORK/src
        log "source: git archive of HEAD ($REVISION) in $SRC"
        rm -rf "$SRC" && mkdir -p "$SRC"
        git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$SRC"
    fi
}

# The Maven properties of an image build. The Jib settings the modules carry (group parley, the module's
# name, user 185) stay in their application.properties; these add the base image, the registry and tag,
# port 8080 (the chart's containerPort, as QUARKUS_HTTP_PORT in the image) and OCI labels (the title is the
# module: Quarkus expands ${quarkus.application.name}, the artifactId).
IMAGE_FLAGS=(
    -Dquarkus.container-image.build=true
    -Dquarkus.container-image.tag="$TAG"
    -Dquarkus.jib.ports=8080
    -Dquarkus.jib.environment-variables.QUARKUS_HTTP_PORT=8080
    '-Dquarkus.container-image.labels."org.opencontainers.image.title"=${quarkus.application.name}'
    "-Dquarkus.container-image.labels.\"org.opencontainers.image.revision\"=$REVISION"
    '-Dquarkus.container-image.labels."org.opencontainers.image.base.name"=parley/jre17:17-bookworm'
)

build_images() {
    local modules
    modules=$(IFS=,; echo "${MODULES[*]}")
    log "service images: Jib, pushed to $REGISTRY (log: $WORK/logs/jib.log)"
    (cd "$SRC" && mvn -B -pl "$modules" package -DskipTests "${IMAGE_FLAGS[@]}" -Dquarkus.container-image.push=true \
        -Dquarkus.container-image.registry="$REGISTRY" -Dquarkus.container-image.insecure=true \
        -Dquarkus.jib.base-jvm-image="$BASE_IMAGE") \
        >"$WORK/logs/jib.log" 2>&1 || fail "image build failed, see $WORK/logs/jib.log"
    grep -E 'Pushed container image|Built container image' "$WORK/logs/jib.log" | sed 's/^/   /' || true
}

# skopeo inspect of every pushed image: the facts the chart relies on, written to the report.
verify_images() {
    log "verify: skopeo inspect"
    {
        echo "| image | digest | compressed size | user | entrypoint | exposed | labels |"
        echo "|---|---|---|---|---|---|---|"
    } >"$WORK/report-images.md"
    for module in "${MODULES[@]}"; do
        local ref=docker://$REGISTRY/parley/$module:$TAG
        skopeo inspect --tls-verify=false --config "$ref" >"$WORK/inspect/$module-config.json"
        skopeo inspect --tls-verify=false --raw "$ref" >"$WORK/inspect/$module-manifest.json"
        skopeo inspect --tls-verify=false "$ref" >"$WORK/inspect/$module.json"
        python3 - "$module" "$WORK/inspect" "$REGISTRY/parley/$module:$TAG" >>"$WORK/report-images.md" <<'EOF'
import json, sys
module, folder, ref = sys.argv[1:4]
config = json.load(open(f"{folder}/{module}-config.json"))["config"]
manifest = json.load(open(f"{folder}/{module}-manifest.json"))
digest = json.load(open(f"{folder}/{module}.json"))["Digest"]
problems = []
if config.get("User") != "185":
    problems.append(f"user is {config.get('User')!r}, not 185")
entrypoint = config.get("Entrypoint") or []
if entrypoint[:1] != ["java"] or entrypoint[-2:] != ["-jar", "quarkus-run.jar"]:
    problems.append(f"entrypoint {entrypoint}")
if list((config.get("ExposedPorts") or {}).keys()) != ["8080/tcp"]:
    problems.append(f"exposed ports {config.get('ExposedPorts')}")
if "QUARKUS_HTTP_PORT=8080" not in (config.get("Env") or []):
    problems.append("QUARKUS_HTTP_PORT=8080 missing from the environment")
labels = config.get("Labels") or {}
if labels.get("org.opencontainers.image.title") != module:
    problems.append(f"title label {labels.get('org.opencontainers.image.title')!r}")
if config.get("WorkingDir") != "/home/jboss":
    problems.append(f"working dir {config.get('WorkingDir')!r}")
if problems:
    sys.exit(f"{ref}: " + "; ".join(problems))
size = manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
label_text = ", ".join(f"{k.removeprefix('org.opencontainers.image.')}={v[:12] if k.endswith('revision') else v}"
                       for k, v in sorted(labels.items()) if k.startswith("org.opencontainers.image."))
print(f"| `{ref}` | `{digest}` | {size / 1e6:.1f} MB ({len(manifest['layers'])} layers) | "
      f"{config['User']} | `{' '.join(entrypoint)}` | 8080/tcp | {label_text} |")
EOF
        echo "   $module: ok"
    done
}

save_tarballs() {
    log "tarballs: oci-archive copies in $WORK/tarballs/"
    rm -rf "$WORK/tarballs" && mkdir -p "$WORK/tarballs"
    for module in "${MODULES[@]}"; do
        rm -f "$WORK/tarballs/$module.tar"
        skopeo copy --quiet --src-tls-verify=false "docker://$REGISTRY/parley/$module:$TAG" \
            "oci-archive:$WORK/tarballs/$module.tar:parley/$module:$TAG"
        skopeo inspect "oci-archive:$WORK/tarballs/$module.tar" >/dev/null
        echo "   $WORK/tarballs/$module.tar ($(du -m "$WORK/tarballs/$module.tar" | cut -f1) MB)"
    done
}

# Quarkus Jib without any registry: the base image from a tarball (quarkus.jib.base-jvm-image=tar://...), the
# result handed to a "docker" executable's load (quarkus.container-image.push=false); podman (daemonless, its
# store in target/images/podman) plays that part, and podman save writes the tarball.
jib_to_podman() {
    local module=model-simulator
    log "registry-less path: base tarball -> Jib -> podman load -> podman save ($module)"
    mkdir -p "$WORK/podman"
    cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "vfs"
graphroot = "$WORK/podman/storage"
runroot = "$WORK/podman/run"
EOF
    podman rmi -a -f >/dev/null 2>&1 || true # this script's own store (vfs keeps full copies): start empty
    rm -f "$WORK/base/jre17.tar"
    skopeo copy --quiet "oci:$WORK/base/oci:jre17" "docker-archive:$WORK/base/jre17.tar:parley/jre17:17-bookworm"
    (cd "$SRC" && mvn -B -pl "$module" package -DskipTests "${IMAGE_FLAGS[@]}" -Dquarkus.container-image.push=false \
        -Dquarkus.jib.base-jvm-image="tar://$WORK/base/jre17.tar" \
        -Dquarkus.jib.docker-executable-name=podman \
        -Dquarkus.jib.docker-environment.CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF") \
        >"$WORK/logs/jib-podman-$module.log" 2>&1 || fail "Jib to podman failed, see $WORK/logs/jib-podman-$module.log"
    rm -f "$WORK/tarballs/$module-jib-podman.tar"
    podman save -q --format oci-archive -o "$WORK/tarballs/$module-jib-podman.tar" "localhost/parley/$module:$TAG"
    echo "   $WORK/tarballs/$module-jib-podman.tar ($(du -m "$WORK/tarballs/$module-jib-podman.tar" | cut -f1) MB, oci-archive)"
}

# An image run as the chart runs it: user 185, read-only root, a tmpfs /tmp, no capabilities, no privilege
# escalation; host network with the HTTP server on 127.0.0.1 only. Waits for GET /q/health/live = UP.
run_image() {
    local module=$1 image=$2 port=$3
    shift 3
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
        fail "127.0.0.1:$port is taken: set PARLEY_IMAGES_RUN_PORT"
    fi
    # Lower ulimits than the host's: podman's defaults need CAP_SYS_RESOURCE, which a sandbox may lack.
    local id
    id=$(podman --runtime "$RUNTIME" run -d --name "parley-images-$module-$$" \
        --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --user 185 \
        --cap-drop ALL --security-opt no-new-privileges \
        --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
        --network host -e QUARKUS_HTTP_HOST=127.0.0.1 -e QUARKUS_HTTP_PORT="$port" "$@" "$image")
    CONTAINERS+=("$id")
    local live=""
    for _ in $(seq 1 120); do
        live=$(curl -sf "http://127.0.0.1:$port/q/health/live" || true)
        [[ -n $live ]] && break
        podman inspect -f '{{.State.Running}}' "$id" | grep -q true \
            || { podman logs "$id" 2>&1 | tail -20; fail "$module exited"; }
        sleep 0.5
    done
    echo "$live" | python3 -c 'import json,sys; assert json.load(sys.stdin)["status"] == "UP"' \
        || fail "$module: /q/health/live did not answer UP: $live"
    local user root_write tmp_write
    user=$(podman exec "$id" id -u)
    root_write=$(podman exec "$id" sh -c 'touch /home/jboss/probe 2>&1 || true')
    tmp_write=$(podman exec "$id" sh -c 'touch /tmp/probe && echo writable')
    [[ $user == 185 ]] || fail "$module runs as uid $user"
    [[ $root_write == *"Read-only file system"* ]] || fail "$module: the root filesystem is writable ($root_write)"
    [[ $tmp_write == writable ]] || fail "$module: /tmp is not writable"
    RUN_NOTES+=("$module: uid $user, GET /q/health/live UP ($(podman logs "$id" 2>&1 | grep -o 'started in [0-9.]*s' | head -1)), write to /home/jboss -> \"Read-only file system\", write to /tmp -> ok")
    echo "   $module: /q/health/live UP, uid $user, / read-only, /tmp writable"
}

# Stops every container this run started (SIGTERM, as Kubernetes does) and notes how each one ended.
stop_images() {
    local id
    for id in "${CONTAINERS[@]}"; do
        podman stop -t 20 "$id" >/dev/null
        RUN_NOTES+=("$(podman inspect -f '{{.Name}}' "$id" | sed "s/^parley-images-//; s/-$$\$//"): SIGTERM -> exit code $(podman inspect -f '{{.State.ExitCode}}' "$id"), $(podman logs "$id" 2>&1 | grep -o 'stopped in [0-9.]*s' | tail -1)")
        podman rm "$id" >/dev/null
    done
    CONTAINERS=()
}

# model-simulator (no dependency) from the registry-less Jib -> podman path, then model-registry-service (pulled from the
# loopback registry) with its static source pointing at that simulator and an OIDC issuer that is not there:
# both must come up live, and the registry ready.
run_checks() {
    RUNTIME=${PARLEY_IMAGES_OCI_RUNTIME:-}
    [[ -n $RUNTIME ]] || { command -v runc >/dev/null && RUNTIME=runc || RUNTIME=crun; }
    log "run: podman ($RUNTIME), read-only root, tmpfs /tmp, user 185, 127.0.0.1:$RUN_PORT and :$((RUN_PORT + 1))"
    run_image model-simulator "localhost/parley/model-simulator:$TAG" "$RUN_PORT"
    podman pull -q --tls-verify=false "$REGISTRY/parley/model-registry-service:$TAG" >/dev/null
    run_image model-registry-service "$REGISTRY/parley/model-registry-service:$TAG" "$((RUN_PORT + 1))" \
        -e PARLEY_REGISTRY_SOURCE=static \
        -e PARLEY_SIMULATOR_URL="http://127.0.0.1:$RUN_PORT" -e PARLEY_OIDC_URL="http://127.0.0.1:$((RUN_PORT + 2))/realms/parley"
    local ready
    ready=$(curl -s "http://127.0.0.1:$((RUN_PORT + 1))/q/health/ready")
    echo "$ready" | python3 -c 'import json,sys; assert json.load(sys.stdin)["status"] == "UP"' \
        || fail "model-registry-service: /q/health/ready is not UP: $ready"
    RUN_NOTES+=("model-registry-service: GET /q/health/ready UP (its static source ready)")
    echo "   model-registry-service: /q/health/ready UP"
    stop_images
    podman rmi -a -f >/dev/null # the images stay in the registry data and the tarballs
    {
        echo
        echo "Run checks (podman $(podman --version | awk '{print $3}') with $RUNTIME, --read-only --tmpfs /tmp --user 185 --cap-drop ALL):"
        echo
        printf -- '- %s\n' "${RUN_NOTES[@]}"
    } >>"$WORK/report-images.md"
}

report() {
    {
        echo "# Parley images, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo
        echo "Took ${SECONDS} s. Source: $SOURCE ($REVISION). Base: \`$BASE_IMAGE\` ($(skopeo inspect --tls-verify=false "docker://$BASE_IMAGE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])'))."
        echo
        cat "$WORK/report-images.md"
        echo
        echo "Tarballs:"
        for tarball in "$WORK"/tarballs/*.tar; do
            echo "- \`${tarball#"$ROOT"/}\` ($(du -m "$tarball" | cut -f1) MB)"
        done
    } >"$WORK/report.md"
    log "done: $WORK/report.md"
    cat "$WORK/report.md"
}

mkdir -p "$WORK/logs" "$WORK/base" "$WORK/inspect"
need_tools
build_base
start_registry
push_base
prepare_source
build_images
verify_images
save_tarballs
jib_to_podman
run_checks
report
