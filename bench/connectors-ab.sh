#!/usr/bin/env bash
# The connectors' scan speed at two versions, alternately in one run (the machines are shared and
# noisy, so only a same-run comparison means anything): the classes of REV, built in a temporary
# git worktree, and those of this checkout, under the same harness, JVM flags and data files.
#   bench/connectors-ab.sh REV [ROUNDS] [ConnectorBench arguments]
#   bench/connectors-ab.sh a2e504c 3 --rows 1000000 --runs 9 --dir /tmp/bench-main parquet
# Prints, per round and side, each scan's Sluice median and the DuckDB ÷ Sluice ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { sed -n '2,7p' "$0" >&2; exit 2; }
rev="$1"; shift
rounds="${1:-3}"; [[ $# -ge 1 ]] && shift
[[ $# -ge 1 ]] || set -- --rows 1000000 --runs 9 parquet
java_home="${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1)}"
export JAVA_HOME="$java_home"

before="$(mktemp -d)"
trap 'git worktree remove --force "$before/tree" >/dev/null 2>&1 || true; rm -rf "$before"' EXIT
git worktree add --detach -q "$before/tree" "$rev"
(cd "$before/tree" && mvn -q -B -o -pl connectors -am compile >/dev/null)
mvn -q -B -o -pl connectors test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
    -Dmdep.includeScope=test >/dev/null
flags="$(sed -n 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:p' pom.xml)"
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    classes=connectors/target/classes
    [[ $side == before ]] && classes="$before/tree/connectors/target/classes"
    echo "### $side ($([[ $side == before ]] && echo "$rev" || git rev-parse --short HEAD)), round $round"
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/java" $flags -Xmx4g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$classes:connectors/target/test-classes:$(cat connectors/target/bench.classpath)" \
        io.sluice.connectors.bench.ConnectorBench "$@" | grep -E '^==|^sluice|ratio'
  done
done
