# Shared by scripts/demo, scripts/test and scripts/bench. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

say() { printf '==> %s\n' "$*" >&2; }

# Installs what the build and the throwaway database need, when missing.
ensure_packages() {
  local missing=()
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
  pkg-config --exists libisal 2>/dev/null || missing+=(libisal-dev) # ISA-L's inflate reads gzip CDR files
  pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v gzip >/dev/null || missing+=(gzip)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v swift >/dev/null || { echo "swift is not on PATH (expected in /opt/swift/usr/bin)" >&2; exit 1; }
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

free_port() {
  local p
  for p in $(seq "${1:-55432}" $(( ${1:-55432} + 200 ))); do
    # A port some connection holds as its local (ephemeral) end refuses a bind too, though nothing listens on it.
    if command -v ss >/dev/null && ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then continue; fi
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port" >&2; return 1
}

# start_postgres NAME [extra server options]: starts a throwaway server owned by
# the postgres user under .pg/NAME (or /tmp when postgres cannot reach the
# project folder), creates role cdr_rater (password, CREATEDB) and database
# telecom_billing_dev, exports DATABASE_URL, PG_ADMIN_URL and PG_SUPERUSER_URL, and stops and
# removes the server when the calling script exits (unless PG_KEEP=1: then
# stop_postgres is the caller's to call, with PG_DIR and PG_BIN set).
start_postgres() {
  local name="$1"; shift
  local base="$ROOT/.pg/$name"
  mkdir -p "$ROOT/.pg"
  if ! runuser -u postgres -- test -x "$ROOT/.pg" 2>/dev/null; then
    base="$(mktemp -d /tmp/cdr-rater-pg-XXXXXX)"
  fi
  PG_DIR="$base"
  PG_BIN="$(pg_bin)"
  if [ -f "$base/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$base/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$base"; mkdir -p "$base/run"; chown -R postgres "$base"
  local password; password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$password" > "$base/pw"; chown postgres "$base/pw"; chmod 600 "$base/pw"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$base/data" -U postgres --pwfile="$base/pw" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
    || { cat "$base/initdb.log" >&2; return 1; }
  PG_PORT="$(free_port)"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $base/run -c listen_addresses=127.0.0.1 $*" start >/dev/null \
    || { cat "$base/server.log" >&2; return 1; }
  [ "${PG_KEEP:-0}" = 1 ] || trap stop_postgres EXIT
  psql -q -h "$base/run" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE cdr_rater LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE telecom_billing_dev OWNER cdr_rater" >/dev/null
  export DATABASE_URL="postgresql://cdr_rater:$password@127.0.0.1:$PG_PORT/telecom_billing_dev"
  export PG_ADMIN_URL="postgresql://cdr_rater:$password@127.0.0.1:$PG_PORT/postgres"
  # The superuser, through the socket (trust): for tests that make roles of their own.
  export PG_SUPERUSER_URL="host=$base/run port=$PG_PORT user=postgres dbname=postgres"
  say "throwaway PostgreSQL on 127.0.0.1:$PG_PORT (data in $base/data)"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
