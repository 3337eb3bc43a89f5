#!/usr/bin/env bash
# A private MariaDB for `make demo`: tools/demo-mariadb.sh start|stop|running DIR
#
# DIR holds everything: data/ (made by mariadb-install-db on first start), the socket
# mysqld.sock, mysqld.pid and mariadbd.log. The server listens on that socket only
# (no TCP port, so it never collides with a system server), runs as the current user,
# and lets root in over the socket without a password: only the owner of DIR can reach
# the socket. `start` reuses a data directory made before, and a server already running.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

action=${1:?usage: tools/demo-mariadb.sh start|stop|running DIR}
dir=${2:?usage: tools/demo-mariadb.sh start|stop|running DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"
socket=$dir/mysqld.sock
pidfile=$dir/mysqld.pid
log=$dir/mariadbd.log
# mariadbd refuses to run as root unless told to; as anyone else this is a no-op.
user=$(id -un)
# Small and quick, like the tests' private servers: the demo holds a few hundred rows.
options=(
  --no-defaults
  --innodb-buffer-pool-size=32M
  --innodb-log-file-size=8M
  --skip-name-resolve
  --skip-log-bin
  --character-set-server=utf8mb4
  --collation-server=utf8mb4_unicode_ci
)

ping() { mariadb-admin --no-defaults --socket="$socket" -uroot ping >/dev/null 2>&1; }

case "$action" in
running)
  ping
  ;;
start)
  if [ "${#socket}" -gt 100 ]; then
    echo "agentapi: $socket is too long for a unix socket; move the checkout or set DEMO_STATE_DIR" >&2
    exit 1
  fi
  if ping; then
    echo "private MariaDB already running in $dir"
    exit 0
  fi
  if [ ! -d "$dir/data/mysql" ]; then
    echo "creating a private MariaDB in $dir"
    rm -rf "$dir/data"
    mariadb-install-db "${options[@]}" --datadir="$dir/data" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >>"$log" 2>&1 || {
      echo "agentapi: mariadb-install-db failed, see $log" >&2
      exit 1
    }
  else
    echo "reusing the private MariaDB in $dir"
  fi
  # Its own session: a Ctrl-C in the terminal reaches the demo, which stops it cleanly.
  setsid mariadbd "${options[@]}" --datadir="$dir/data" --socket="$socket" \
    --pid-file="$pidfile" --skip-networking --user="$user" >>"$log" 2>&1 </dev/null &
  for _ in $(seq 1 300); do
    ping && exit 0
    sleep 0.1
  done
  echo "agentapi: the private MariaDB did not start, see $log" >&2
  exit 1
  ;;
stop)
  [ -s "$pidfile" ] || exit 0
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || exit 0
  # A clean shutdown flushes InnoDB, so the next start needs no recovery.
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || {
      echo "private MariaDB stopped"
      exit 0
    }
    sleep 0.1
  done
  echo "agentapi: the private MariaDB ($pid) did not stop in 30 s" >&2
  exit 1
  ;;
*)
  echo "usage: tools/demo-mariadb.sh start|stop|running DIR" >&2
  exit 2
  ;;
esac
