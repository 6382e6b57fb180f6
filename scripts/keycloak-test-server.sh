#!/usr/bin/env bash
# A real Keycloak for the tests, on a loopback port, with the data space's realms imported.
#   scripts/keycloak-test-server.sh start DIR   -> prints the base URL (and writes it to DIR/url)
#   scripts/keycloak-test-server.sh stop DIR
# The server is org.keycloak:keycloak-quarkus-dist (a zip on Maven Central, fetched into the local
# Maven repository like any artifact); it runs on the JDK 25 given by JAVA_HOME.
set -euo pipefail

VERSION="26.7.3"
cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

case "$cmd" in
  start)
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    zip="$HOME/.m2/repository/org/keycloak/keycloak-quarkus-dist/$VERSION/keycloak-quarkus-dist-$VERSION.zip"
    if [[ ! -f "$zip" ]]; then
      echo "keycloak-test-server: fetching keycloak-quarkus-dist $VERSION into the local Maven repository..." >&2
      mvn -q -B dependency:get -Dtransitive=false -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:zip" >&2
    fi
    if [[ ! -x "$dir/keycloak-$VERSION/bin/kc.sh" ]]; then
      (cd "$dir" && unzip -q -o "$zip")
    fi
    home="$dir/keycloak-$VERSION"
    # A fresh database every start, so that the realm files in deploy/keycloak are what is imported.
    rm -rf "$home/data"
    mkdir -p "$home/data/import"
    cp "$ROOT"/deploy/keycloak/*-realm.json "$home/data/import/"
    port="$(free_port)"; management="$(free_port)"
    url="http://127.0.0.1:$port"
    # The issuer follows the host name used to call Keycloak, so pin it to the loopback address.
    nohup "$home/bin/kc.sh" start-dev --import-realm --http-host=127.0.0.1 --http-port="$port" \
      --http-management-port="$management" --hostname="$url" \
      >"$dir/keycloak.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 1 240); do
      if curl -fsS "$url/realms/dataspace/.well-known/openid-configuration" >/dev/null 2>&1; then
        echo "$url" > "$dir/url"; echo "$url"; exit 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { tail -40 "$dir/keycloak.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "keycloak-test-server: not ready after 120 s; see $dir/keycloak.log" >&2
    tail -40 "$dir/keycloak.log" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$dir/pid" ]]; then
      pid="$(cat "$dir/pid")"
      pkill -TERM -P "$pid" 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$dir/pid"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
