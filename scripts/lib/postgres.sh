# A throwaway PostgreSQL server on loopback, from Debian's `postgresql` package: for the tests
# (scripts/test.sh), `scripts/run.sh --postgres` and the benchmark. Sourced, not run; needs setup.sh.
#
#   postgres_start DIR [PORT]   initdb into DIR/data (DIR must not exist or be empty) and start the server
#                               on 127.0.0.1:PORT (a free port when omitted) and a socket in DIR; sets
#                               POSTGRES_URL (the superuser `skalar` with its password, database `skalar`),
#                               POSTGRES_PORT and POSTGRES_DIR, and writes the URL to DIR/url
#   postgres_stop DIR           stop it (fast shutdown: sessions are closed, nothing is lost)
#   postgres_restart DIR        stop and start it again on the same port
#   postgres_psql DIR ARGS...   psql as the superuser over the socket
#
# The server never runs as root (PostgreSQL refuses to): as root, everything runs as the `postgres`
# user the package creates, through runuser. Host connections need the password (SCRAM); the socket,
# which only that user and root can reach, trusts.

# The newest installed server's programs (initdb, pg_ctl, postgres, pgbench live here, not on PATH).
postgres_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] || { echo "no PostgreSQL server installed (Debian package postgresql)" >&2; return 1; }
    echo "$dir"
}

ensure_postgres() {
    ensure_apt_packages postgresql libpq-dev
}

# Runs a command as the server's owner: `postgres` when we are root, else ourselves.
postgres_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_start() {
    local dir=$1 port=${2:-} bin password
    bin=$(postgres_bin) || return 1
    [ -n "$port" ] || port=$(python3 "$(dirname "${BASH_SOURCE[0]}")/../../loadtest/mesh/ports.py")
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    chmod 0700 "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/password"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/password"
    postgres_as_owner "$bin/initdb" --pgdata="$dir/data" --username=skalar --pwfile="$dir/password" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    printf '%s\n' "$port" >"$dir/port"
    postgres_launch "$dir" || return 1
    postgres_psql "$dir" -q -c "CREATE DATABASE skalar" || return 1
    POSTGRES_DIR=$dir
    POSTGRES_PORT=$port
    POSTGRES_URL="postgresql://skalar:$password@127.0.0.1:$port/skalar"
    printf '%s\n' "$POSTGRES_URL" >"$dir/url"
    export POSTGRES_DIR POSTGRES_PORT POSTGRES_URL
}

# Starts the server of an initialised DIR on its port and waits until it accepts connections.
postgres_launch() {
    local dir=$1 bin
    bin=$(postgres_bin) || return 1
    postgres_as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --silent start \
        -o "-c listen_addresses=127.0.0.1 -c port=$(cat "$dir/port") -c unix_socket_directories=$dir -c max_connections=200" ||
        { tail -20 "$dir/server.log" >&2; return 1; }
}

postgres_stop() {
    local dir=$1 bin
    bin=$(postgres_bin) || return 1
    [ -f "$dir/data/postmaster.pid" ] || return 0
    postgres_as_owner "$bin/pg_ctl" --pgdata="$dir/data" --wait --silent --mode=fast stop
}

postgres_restart() {
    postgres_stop "$1" && postgres_launch "$1"
}

postgres_psql() {
    local dir=$1 bin
    shift
    bin=$(postgres_bin) || return 1
    postgres_as_owner "$bin/psql" --no-psqlrc --host="$dir" --port="$(cat "$dir/port")" --username=skalar \
        --dbname=postgres -v ON_ERROR_STOP=1 "$@"
}
