#!/usr/bin/env bash
# Builds the container images of the four services from the repository root and, with PUSH=1, pushes
# them. Needs a JDK 17, Maven and docker or podman (CONTAINER_TOOL). hw-sim is a native image: Quarkus
# builds it inside a Mandrel builder container (so Docker/Podman again), or with a local GraalVM/Mandrel
# when NATIVE_LOCAL=1; HW_SIM_JVM=1 builds hw-sim as a JVM image instead (no native toolchain).
#
#   REGISTRY=registry.example.com/iommufd TAG=0.1.0 PUSH=1 k8s/images/build-images.sh
#
# The tags must match the overlay's `images:` (k8s/overlays/*/kustomization.yaml).
set -euo pipefail
cd "$(dirname "$0")/../.."

REGISTRY=${REGISTRY:-iommufd}
TAG=${TAG:-0.1.0-SNAPSHOT}
TOOL=${CONTAINER_TOOL:-docker}
PUSH=${PUSH:-0}
HW_SIM_JVM=${HW_SIM_JVM:-0}
NATIVE_LOCAL=${NATIVE_LOCAL:-0}
export DOCKER_BUILDKIT=1

jvm_services=(ioas-service viommu-service fault-service)
[ "$HW_SIM_JVM" = 1 ] && jvm_services+=(hw-sim)

mvn -B -pl "$(IFS=,; echo "${jvm_services[*]}")" -am package -DskipTests
for s in "${jvm_services[@]}"; do
  "$TOOL" build -f k8s/images/Dockerfile.jvm --build-arg SERVICE="$s" -t "$REGISTRY/$s:$TAG" .
done

if [ "$HW_SIM_JVM" != 1 ]; then
  native_args=(-Dquarkus.native.container-build=true "-Dquarkus.native.container-runtime=$TOOL")
  [ "$NATIVE_LOCAL" = 1 ] && native_args=()
  mvn -B -pl hw-sim -am -Pnative package -DskipTests "${native_args[@]}"
  "$TOOL" build -f k8s/images/Dockerfile.native-micro -t "$REGISTRY/hw-sim:$TAG" .
fi

if [ "$PUSH" = 1 ]; then
  for s in ioas-service viommu-service fault-service hw-sim; do
    "$TOOL" push "$REGISTRY/$s:$TAG"
  done
fi
