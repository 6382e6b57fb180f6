#!/usr/bin/env bash
# Checks the loader's CUDA path on a GPU machine that has an NVIDIA driver but no Java and no network.
#
#   gpu-check.sh prepare [BUNDLE_DIR]   where Maven and JDK 25 are: builds the loader and its tests, a jlink'ed
#                                       JDK 25 runtime, and BUNDLE_DIR (default gpu-loader/target/gpu-check) plus
#                                       BUNDLE_DIR.tar.gz, under 64 MiB in all. Copy the tarball to the GPU machine.
#   gpu-check.sh run [BUNDLE_DIR] [--numa-node N|auto]
#                                       on the GPU machine, from the unpacked bundle (BUNDLE_DIR defaults to the
#                                       directory this script lies in): runs the CUDA-path tests and prints the table
#                                       (arena creation per GiB with and without MADV_HUGEPAGE and with the arena
#                                       placed on a NUMA node, where each arena's pages went, H2D GB/s pinned vs
#                                       pageable for 1/8/64 MiB chunks and from the placed arena, loopback stream ->
#                                       device GB/s with stall time and per-batch copy time, and a probe that a
#                                       DeviceBatch open across the loader's and device's close stays valid).
#                                       --numa-node defaults to auto (the GPU's node). Exit status 0 only when every
#                                       test passed.
set -euo pipefail

MAX_BYTES=$((64 * 1024 * 1024))
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JVM_FLAGS="--add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
# java.base etc. for the loader; jdk.httpserver for the tests' fake broker; java.logging for the JUnit launcher.
MODULES="java.base,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.httpserver,jdk.unsupported,jdk.crypto.ec"

die() { echo "gpu-check: $*" >&2; exit 1; }

find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
    if [[ -n "$candidate" && -x "$candidate/bin/jlink" ]] && "$candidate/bin/java" -version 2>&1 | grep -q '"25'; then
      echo "$candidate"; return
    fi
  done
  die "no JDK 25 with jlink (looked at JAVA_HOME and /usr/lib/jvm/*25*)"
}

prepare() {
  local module root bundle jdk size tarball
  module="$(cd "$HERE/.." && pwd)"
  root="$(cd "$module/.." && pwd)"
  bundle="${1:-$module/target/gpu-check}"
  jdk="$(find_jdk)"
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not on PATH"
  export JAVA_HOME="$jdk"

  echo "== building the loader and its tests"
  (cd "$root" && mvn -q -B -o -pl gpu-loader -DskipTests install) || (cd "$root" && mvn -q -B -pl gpu-loader -DskipTests install)
  (cd "$module" && mvn -q -B -o test-compile dependency:copy-dependencies -DincludeScope=test \
      -DexcludeArtifactIds=byte-buddy -DexcludeGroupIds=org.bouncycastle -DoutputDirectory="$module/target/gpu-check-lib")

  echo "== assembling $bundle"
  rm -rf "$bundle" "$bundle.tar.gz"
  mkdir -p "$bundle/lib"
  cp "$module"/target/gpu-check-lib/*.jar "$bundle/lib/"
  cp "$module"/target/sluice-gpu-loader-*.jar "$bundle/lib/"
  (cd "$module/target/test-classes" && "$jdk/bin/jar" --create --file "$bundle/lib/sluice-gpu-loader-tests.jar" .)
  cp "${BASH_SOURCE[0]}" "$bundle/gpu-check.sh"
  chmod +x "$bundle/gpu-check.sh"

  echo "== jlink'ing a JDK 25 runtime ($MODULES)"
  "$jdk/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
      --output "$bundle/runtime"

  tar -C "$(dirname "$bundle")" -czf "$bundle.tar.gz" "$(basename "$bundle")"
  size=$(du -sb "$bundle" | cut -f1)
  tarball=$(stat -c %s "$bundle.tar.gz")
  awk -v b="$bundle" -v s="$size" -v t="$tarball" \
      'BEGIN { printf "bundle: %s (%d bytes = %.1f MiB unpacked), %s.tar.gz (%.1f MiB)\n", b, s, s / 1048576, b, t / 1048576 }'
  [[ "$size" -lt "$MAX_BYTES" ]] || die "the bundle is $size bytes unpacked: over the 64 MiB limit"
  [[ "$tarball" -lt "$MAX_BYTES" ]] || die "the tarball is $tarball bytes: over the 64 MiB limit"

  echo "== self-check: the bundle's runtime runs the CUDA-path test classes here (GPU-only tests skip without a driver)"
  # shellcheck disable=SC2086
  "$bundle/runtime/bin/java" $JVM_FLAGS -cp "$bundle/lib/*" io.sluice.loader.GpuCheck --tests-only | tail -n 3 \
      || die "the bundle's tests failed with its own runtime"
  echo "copy $bundle.tar.gz to the GPU machine, then: tar xzf $(basename "$bundle").tar.gz && $(basename "$bundle")/gpu-check.sh run"
}

run() {
  local bundle="$HERE"
  if [[ $# -gt 0 && "$1" != --* ]]; then bundle="$1"; shift; fi
  local numa=(--numa-node auto)
  if [[ $# -gt 0 ]]; then
    [[ "$1" == --numa-node && $# -eq 2 ]] || die "usage: gpu-check.sh run [BUNDLE_DIR] [--numa-node N|auto]"
    numa=(--numa-node "$2")
  fi
  [[ -x "$bundle/runtime/bin/java" ]] || die "no bundled runtime under $bundle/runtime: run 'gpu-check.sh prepare' first"
  ls /dev/nvidia* >/dev/null 2>&1 || echo "gpu-check: warning: no /dev/nvidia* device nodes" >&2
  # The loader locks its pinned arena with mlock: allow it (fails quietly where the limit cannot be raised).
  ulimit -l unlimited 2>/dev/null || echo "gpu-check: note: could not raise ulimit -l ($(ulimit -l) KiB); mlock may be refused" >&2
  # shellcheck disable=SC2086
  exec "$bundle/runtime/bin/java" $JVM_FLAGS -Xmx4g -cp "$bundle/lib/*" io.sluice.loader.GpuCheck "${numa[@]}"
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run)     shift; run "$@" ;;
  *)       sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
