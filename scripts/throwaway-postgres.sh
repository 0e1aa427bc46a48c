# Sourced by test.sh and the benchmark scripts: start_throwaway_postgres starts PostgreSQL (Debian's, found in
# /usr/lib/postgresql) in a temporary folder on 127.0.0.1, exports SLIP_TEST_POSTGRES and stops it on exit.
start_throwaway_postgres() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)." >&2; return 1; }
  port=${SLIP_PG_PORT:-55432}
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  pgdata=$(mktemp -d /tmp/slip-pg.XXXXXX)
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: run it as the postgres user.
    chown postgres:postgres "$pgdata"
    as_pg=(runuser -u postgres --)
  fi
  chmod 700 "$pgdata"
  trap stop_throwaway_postgres EXIT
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
  # A port nobody listens on can still be taken (it lies in the ephemeral range, and a recent client connection may
  # hold it): on a failed bind, try the next one.
  for attempt in 1 2 3 4 5 6 7 8; do
    echo "== starting PostgreSQL on 127.0.0.1:$port"
    if "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
      break
    fi
    if [ "$attempt" -eq 8 ] || ! grep -q "could not create any TCP/IP sockets" "$pgdata/server.log"; then
      cat "$pgdata/server.log" >&2
      return 1
    fi
    port=$((port + 1))
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  done
  export SLIP_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop_throwaway_postgres() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1
  rm -rf "$pgdata"
}
