# Sourced by .ci/run: a PostgreSQL cluster and a Chroma server on loopback, for the tests that run
# the store and the library against real servers. Both are stopped by their process ids when the
# sourcing shell exits (tests passing or not).
#
#   source .ci/servers.sh && start_servers     # exports LESSON_STUDIO_TEST_DATABASE_URL and
#                                              # LESSON_STUDIO_TEST_CHROMA (host:port)

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for_port() {  # port, seconds
  python - "$1" "$2" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(0)
    time.sleep(0.2)
sys.exit(f"nothing answered on 127.0.0.1:{port}")
PY
}

stop_servers() {
  if [ -n "${CHROMA_PID:-}" ]; then kill "$CHROMA_PID" 2>/dev/null || true; wait "$CHROMA_PID" 2>/dev/null || true; fi
  if [ -n "${PG_PID:-}" ]; then kill -INT "$PG_PID" 2>/dev/null || true; for _ in $(seq 50); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.2; done; fi
  rm -rf "${SERVERS_DIR:-/nonexistent}"
}

start_servers() {
  local pgbin pgport chromaport
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  SERVERS_DIR=$(mktemp -d /tmp/lesson-studio-servers.XXXXXX)
  chmod 755 "$SERVERS_DIR"  # the postgres user must reach its cluster folder
  trap stop_servers EXIT
  mkdir -p "$SERVERS_DIR/pg" "$SERVERS_DIR/chroma"
  chown postgres "$SERVERS_DIR/pg" 2>/dev/null || true
  # initdb refuses to run as root: the Debian package's postgres user runs the cluster.
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  as_pg "$pgbin/initdb" -D "$SERVERS_DIR/pg" -A trust -U postgres >/dev/null
  pgport=$(free_port)
  as_pg "$pgbin/pg_ctl" -D "$SERVERS_DIR/pg" -l "$SERVERS_DIR/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $SERVERS_DIR/pg" start >/dev/null
  PG_PID=$(head -1 "$SERVERS_DIR/pg/postmaster.pid")
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres lesson_studio_test
  chromaport=$(free_port)
  chroma run --path "$SERVERS_DIR/chroma" --host 127.0.0.1 --port "$chromaport" >"$SERVERS_DIR/chroma.log" 2>&1 &
  CHROMA_PID=$!
  wait_for_port "$chromaport" 60
  export LESSON_STUDIO_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$pgport/lesson_studio_test"
  export LESSON_STUDIO_TEST_CHROMA="127.0.0.1:$chromaport"
  echo "servers: PostgreSQL pid $PG_PID on 127.0.0.1:$pgport, Chroma pid $CHROMA_PID on 127.0.0.1:$chromaport"
}
