#!/usr/bin/env bash
# Install the Debian/Ubuntu packages that `make test` or `make demo` needs, and for
# `test` start MariaDB when no server answers on the default socket.
#
#   tools/system-deps.sh test   everything the suite runs: MariaDB, Redis, nginx,
#                               php-cli with curl, curl, chromium, python3-venv, make,
#                               and Node.js with npm for the OpenAPI lint
#   tools/system-deps.sh lint   Node.js and npm (make lint-openapi)
#   tools/system-deps.sh demo   python3-venv, and mariadb-server unless
#                               DEMO_DATABASE_URL names another server
#   tools/system-deps.sh bench  wrk, redis-server and the mariadb client (make bench)
#
# Installs as root, or through sudo when it is there; otherwise names the missing
# packages in one line and stops. Installs nothing that is already present.
set -euo pipefail

purpose=${1:?usage: tools/system-deps.sh test|lint|demo|bench}
# Server binaries live in sbin, which a non-root PATH often lacks.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

have() { command -v "$1" >/dev/null 2>&1; }

packages=()
need() { packages+=("$1"); }

node_and_npm() {
  have node || need nodejs
  have npm || need npm
}

[ "$purpose" = lint ] || python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need python3-venv
case "$purpose" in
lint)
  node_and_npm
  ;;
bench)
  have wrk || need wrk
  have redis-server || need redis-server
  have mariadb || need mariadb-client
  ;;
test)
  node_and_npm
  have mariadbd || need mariadb-server
  have redis-server || need redis-server
  have nginx || need nginx
  have php || need php-cli
  php -m 2>/dev/null | grep -qx curl || need php-curl
  have curl || need curl
  have make || need make
  [ -x /usr/bin/chromium ] || need chromium
  ;;
demo)
  [ -n "${DEMO_DATABASE_URL:-}" ] || have mariadbd || need mariadb-server
  ;;
*)
  echo "usage: tools/system-deps.sh test|lint|demo|bench" >&2
  exit 2
  ;;
esac

# The one way to become root here: being root, or sudo (which may ask for a password).
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif have sudo; then
    sudo "$@"
  else
    return 127
  fi
}

if ((${#packages[@]})); then
  if [ "$(id -u)" != 0 ] && ! have sudo; then
    echo "agentapi: missing system packages, install them as root and run again: apt-get install ${packages[*]}" >&2
    exit 1
  fi
  echo "installing: ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
fi

# The tests' default database is root over the system socket (AGENTAPI_TEST_DATABASE_URL
# names another): start the system's MariaDB when nothing answers there.
if [ "$purpose" = test ] && [ -z "${AGENTAPI_TEST_DATABASE_URL:-}" ] &&
  ! mariadb-admin --protocol=socket ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  if have systemctl && [ -d /run/systemd/system ]; then
    as_root systemctl start mariadb || true
  else
    # No systemd (containers, CI): start the server the way its package would.
    as_root sh -c 'mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld' || true
    as_root start-stop-daemon --start --oknodo --background \
      --exec "$(command -v mariadbd)" -- --user=mysql || true
  fi
  for _ in $(seq 1 60); do
    mariadb-admin --protocol=socket ping >/dev/null 2>&1 && break
    sleep 1
  done
  mariadb-admin --protocol=socket ping >/dev/null 2>&1 || {
    echo "agentapi: MariaDB does not answer on its socket; start it, or set AGENTAPI_TEST_DATABASE_URL" >&2
    exit 1
  }
fi
