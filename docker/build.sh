#!/usr/bin/env bash
# Builds (and with --push, pushes) the images; `make image` / `make push-images` run it.
#
#   docker/build.sh [--push] [pipeline|gpu|tpu|serving ...]   (default: all four, in that order)
#
# Names: ${REGISTRY}/albert-keras, albert-keras-gpu, albert-keras-tpu,
# albert-serving, tag ${TAG}. REGISTRY defaults to none (local names such
# as albert-keras:latest, `pipeline.image`'s default); for Vertex AI use
# REGISTRY=gcr.io/YOUR_PROJECT (or REGION-docker.pkg.dev/YOUR_PROJECT/REPO).
# The tpu image is built FROM the pipeline image of the same name and tag.
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=${REGISTRY:-}
TAG=${TAG:-latest}
DOCKER=${DOCKER:-docker}
PUSH=0
if [ "${1:-}" = "--push" ]; then PUSH=1; shift; fi
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(pipeline gpu tpu serving)

if ! command -v "$DOCKER" >/dev/null 2>&1; then
  echo "error: building the images needs Docker, and \`$DOCKER\` is not on PATH." >&2
  echo "  Install Docker (or run this where it is), then: make image   (docs/production.md, step 1)" >&2
  exit 2
fi
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo "error: \`$DOCKER info\` failed: the Docker daemon is not running or not reachable." >&2
  echo "  Start it (or set DOCKER_HOST), then: make image   (docs/production.md, step 1)" >&2
  exit 2
fi

name() { echo "${REGISTRY:+$REGISTRY/}$1:$TAG"; }
PIPELINE=$(name albert-keras)
built=()
for target in "${TARGETS[@]}"; do
  case "$target" in
    pipeline) image=$PIPELINE
              "$DOCKER" build -f docker/pipeline.Dockerfile -t "$image" . ;;
    gpu)      image=$(name albert-keras-gpu)
              "$DOCKER" build -f docker/gpu.Dockerfile -t "$image" . ;;
    tpu)      image=$(name albert-keras-tpu)
              "$DOCKER" build -f docker/tpu.Dockerfile --build-arg "BASE_IMAGE=$PIPELINE" -t "$image" . ;;
    serving)  image=$(name albert-serving)
              "$DOCKER" build -f docker/serving.Dockerfile --target serving -t "$image" . ;;
    *) echo "error: unknown image $target (pipeline, gpu, tpu, serving)" >&2; exit 2 ;;
  esac
  built+=("$image")
done
if [ "$PUSH" = 1 ]; then
  for image in "${built[@]}"; do "$DOCKER" push "$image"; done
fi
printf 'built: %s\n' "${built[@]}"
