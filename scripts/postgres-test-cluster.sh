#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on a loopback port.
#   scripts/postgres-test-cluster.sh start DIR   -> prints the JDBC URL (and writes it to DIR/jdbc-url)
#   scripts/postgres-test-cluster.sh stop DIR
# initdb refuses to run as root, so as root the cluster runs as the postgres user. When that user
# cannot reach DIR (a checkout in root's 0700 home, say), the cluster lives in a private directory
# under /tmp instead, named in DIR/cluster-dir, and stop removes it.
set -euo pipefail

cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
[[ -x "$bin/pg_ctl" ]] || { echo "postgres-test-cluster: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    cluster="$dir"
    if [[ "$(id -u)" == 0 ]]; then
      chown postgres "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        cluster="$(mktemp -d /tmp/sluice-postgres-test.XXXXXX)"
        chown postgres "$cluster"
        echo "$cluster" > "$dir/cluster-dir"
        echo "postgres-test-cluster: the postgres user cannot reach $dir; the cluster lives in $cluster" >&2
      fi
    fi
    if [[ ! -f "$cluster/data/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$cluster/data" -U sluice --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster/data -c fsync=on -c max_connections=200" start >/dev/null \
      || { cat "$cluster/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U sluice sluice_test
    url="jdbc:postgresql://127.0.0.1:$port/sluice_test?user=sluice"
    echo "$url" > "$dir/jdbc-url"
    echo "$url"
    ;;
  stop)
    cluster="$dir"
    [[ -f "$dir/cluster-dir" ]] && cluster="$(cat "$dir/cluster-dir")"
    [[ -f "$cluster/data/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
    if [[ "$cluster" != "$dir" && "$cluster" == /tmp/sluice-postgres-test.* ]]; then
      rm -rf "$cluster" "$dir/cluster-dir"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
