#!/usr/bin/env bash
# Scan speed of Sluice's connectors against DuckDB (Parquet, CSV; single thread each) and against
# psql COPY TO STDOUT (JDBC), in the same run. Arguments go to ConnectorBench, e.g.
#   bench/connectors-bench.sh --rows 1000000 --runs 7 parquet csv
#   bench/connectors-bench.sh --rows 1000000 parquet-nested    (maps, lists of structs, lists of lists)
#   bench/connectors-bench.sh --postgres "$(scripts/postgres-test-cluster.sh start /tmp/pg-bench)" jdbc
# Data files are cached in --dir (default: a fresh temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
java_home="${JAVA_HOME:-$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1)}"
[[ -x "$java_home/bin/java" ]] || { echo "connectors-bench: no Java 25 found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME="$java_home"
mvn -q -B -pl connectors test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
    -Dmdep.includeScope=test >/dev/null
flags="$(sed -n 's:.*<sluice.jvm.flags>\(.*\)</sluice.jvm.flags>.*:\1:p' pom.xml)"
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $flags -Xmx4g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "connectors/target/classes:connectors/target/test-classes:$(cat connectors/target/bench.classpath)" \
    io.sluice.connectors.bench.ConnectorBench "$@"
