#!/usr/bin/env bash
# Builds the distribution that runs without a JDK or Maven: a jlink'ed Java runtime, the jars, the
# launcher bin/sluice and the deploy files, as OUT_DIR/sluice-VERSION-linux-ARCH.tar.gz.
#   scripts/make-dist.sh [OUT_DIR]     (default: target/dist; ./sluice dist builds first, then runs this)
# Needs a JDK 25 in JAVA_HOME (for jdeps and jlink) and the packaged examples module
# (examples/target/sluice-examples-VERSION.jar and examples/target/lib). Progress goes to stderr;
# the archive's path is the last line on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  -h|--help)
    cat <<'USAGE'
usage: ./sluice dist [OUT_DIR]
Builds the distribution that runs without a JDK or Maven: a jlink'ed Java runtime, the jars, the
launcher bin/sluice and the deploy files, as OUT_DIR/sluice-VERSION-linux-ARCH.tar.gz (default
OUT_DIR: target/dist). Prints the archive's path as the last line.

Example:
  archive=$(./sluice dist | tail -n1) && tar -xzf "$archive" -C /opt && /opt/sluice-*/bin/sluice serve --help
USAGE
    exit 0 ;;
  -*) echo "make-dist: unknown option $1 (usage: ./sluice dist [OUT_DIR])" >&2; exit 2 ;;
esac
OUT="${1:-$ROOT/target/dist}"
mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"

die() { echo "make-dist: $*" >&2; exit 1; }
say() { echo "make-dist: [${SECONDS}s] $*" >&2; }

[[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/jlink" && -x "$JAVA_HOME/bin/jdeps" ]] \
  || die "JAVA_HOME must name a JDK 25 with jlink and jdeps (it is '${JAVA_HOME:-}')"

# The project version is the parent pom's first <version> (the one after its artifactId).
VERSION="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml")"
JVM_FLAGS="$(sed -n 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"
[[ -n "$VERSION" && -n "$JVM_FLAGS" ]] || die "cannot read <version> and <sluice.jvm.flags> from $ROOT/pom.xml"
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64|arm64) ARCH=aarch64 ;;
  *) ARCH="$(uname -m)" ;;
esac

APP_JAR="$ROOT/examples/target/sluice-examples-$VERSION.jar"
LIB="$ROOT/examples/target/lib"
[[ -f "$APP_JAR" && -d "$LIB" ]] || die "$APP_JAR or $LIB is missing: build first (./sluice dist does)"

# examples/target/lib is the examples module's runtime class path, which holds every module's jar.
# The build empties it before copying; a lib/ left by an older build may still hold two versions.
duplicates="$(cd "$LIB" && ls -- *.jar | sed -E 's/-[0-9][^-]*(-[A-Za-z0-9.]+)*\.jar$//' | sort | uniq -d)"
[[ -z "$duplicates" ]] || die "examples/target/lib holds two versions of: $duplicates (run mvn clean, then build again)"
if ls "$LIB" | grep -E -q -- '-tests\.jar$|^junit-|^assertj-'; then
  die "examples/target/lib holds test jars: $(ls "$LIB" | grep -E -- '-tests\.jar$|^junit-|^assertj-' | tr '\n' ' ')"
fi

NAME="sluice-$VERSION"
STAGE="$OUT/$NAME"
WORK="$(mktemp -d "$OUT/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/lib"
cp "$APP_JAR" "$LIB"/*.jar "$STAGE/lib/"

# jdeps cannot take the jars as they are: a modular jar given to it is resolved as a named module,
# and the modules here do not resolve (Arrow requires 'flatbuffers.java', which no jar names itself;
# on a module path Parquet's jars split packages). So jdeps reads their classes as one class path
# (module-info.class left out), which covers every class, also those only reached by reflection.
say "finding the JDK modules the jars use (jdeps)..."
mkdir -p "$WORK/classes"
for jar in "$STAGE"/lib/*.jar; do
  if command -v unzip >/dev/null 2>&1; then # much faster than a JVM per jar; jar is the fallback
    unzip -q -o "$jar" '*.class' -d "$WORK/classes" 2>/dev/null || [[ $? -eq 11 ]] || die "cannot unpack $jar" # 11: no classes
  else
    (cd "$WORK/classes" && "$JAVA_HOME/bin/jar" xf "$jar")
  fi
done
find "$WORK/classes" -type f \( -name module-info.class -o ! -name '*.class' \) -delete
used="$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$WORK/classes")" \
  || die "jdeps failed: $used"
rm -rf "$WORK/classes"
# Modules that no class names but that are loaded at run time: service providers (the zip file
# system, extra charsets, the DNS naming provider), platform MXBeans, the login modules Hadoop's
# UserGroupInformation loads, the elliptic-curve provider (kept for code that asks for it by name).
reflective="jdk.crypto.ec,jdk.unsupported,jdk.management,java.naming,java.sql,jdk.zipfs,jdk.net,jdk.charsets,jdk.naming.dns,jdk.security.auth"
modules="$(tr ',' '\n' <<<"$used,$reflective" | sort -u | paste -sd, -)"
say "modules: $modules"

say "linking the Java runtime (jlink)..."
"$JAVA_HOME/bin/jlink" --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$STAGE/runtime" >&2

sed -e "s|@VERSION@|$VERSION|g" -e "s|@JVM_FLAGS@|$JVM_FLAGS|g" "$ROOT/scripts/dist/sluice" > "$STAGE/bin/sluice"
chmod 0755 "$STAGE/bin/sluice"
sed -e "s|@VERSION@|$VERSION|g" "$ROOT/scripts/dist/README.md" > "$STAGE/README.md"
cp -R "$ROOT/deploy" "$STAGE/deploy"
rm -rf "$STAGE/deploy/secrets" # a password made for compose in this checkout never travels
{
  echo "Sluice $VERSION bundles the software below; each jar carries its own licence under META-INF,"
  echo "and runtime/legal holds the licences of the Java runtime ($("$STAGE/runtime/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.vm\.vendor = //p') $("$STAGE/runtime/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p'))."
  echo
  ls "$STAGE/lib"
} > "$STAGE/THIRD-PARTY.txt"

ARCHIVE="$OUT/$NAME-linux-$ARCH.tar.gz"
say "writing $ARCHIVE..."
tar -C "$OUT" -czf "$ARCHIVE.tmp" "$NAME"
mv "$ARCHIVE.tmp" "$ARCHIVE"
echo "$ARCHIVE"
