#!/usr/bin/env bash
# `make demo`: seed a demo database, create a key, print a curl command, serve.
#
# Without DEMO_DATABASE_URL it runs a private MariaDB of its own: data directory and
# socket under $DEMO_STATE_DIR (default .demo/ in the checkout), no TCP port, started
# as the current user, stopped again with the service (Ctrl-C). A second run reuses
# the data. With DEMO_DATABASE_URL it uses that server and starts none.
#
# Environment: DEMO_DATABASE_URL, DEMO_BIND (127.0.0.1:8000), DEMO_STATE_DIR (.demo),
# BIN (the virtualenv's bin, .venv/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
DEMO_BIND=${DEMO_BIND:-127.0.0.1:8000}
STATE=${DEMO_STATE_DIR:-.demo}
STATE=$(mkdir -p "$STATE" && cd "$STATE" && pwd)
BUSINESS=01HTENANT0000000000000000

# A random cursor secret, made once and kept, so that cursors outlive a restart.
if [ -z "${AGENTAPI_CURSOR_SECRET:-}" ]; then
  if [ ! -s "$STATE/cursor-secret" ]; then
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))' \
      >"$STATE/cursor-secret")
  fi
  AGENTAPI_CURSOR_SECRET=$(cat "$STATE/cursor-secret")
  export AGENTAPI_CURSOR_SECRET
fi

gunicorn_pid=
own_database=
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  if [ -n "$own_database" ]; then
    tools/demo-mariadb.sh stop "$STATE/mariadb"
  fi
}

if [ -n "${DEMO_DATABASE_URL:-}" ]; then
  AGENTAPI_DATABASE_URL=$DEMO_DATABASE_URL
else
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if tools/demo-mariadb.sh running "$STATE/mariadb"; then
    # Another `make demo` from this checkout runs it: it stops it, not this one.
    echo "using the private MariaDB in $STATE/mariadb that another make demo started"
  else
    own_database=1
    tools/demo-mariadb.sh start "$STATE/mariadb"
  fi
  AGENTAPI_DATABASE_URL="mysql://root@localhost/agentapi_demo?unix_socket=$STATE/mariadb/mysqld.sock"
fi
export AGENTAPI_DATABASE_URL

"$BIN/agentapi" db init --create-database
"$BIN/agentapi" demo seed
token=$("$BIN/agentapi" keys create --name "demo $(date -u +%FT%TZ)" \
  --scopes businesses:read,invoices:read,services:read,availability:read 2>/dev/null | tail -n 1)
echo
echo "Demo API on http://$DEMO_BIND - try:"
echo
echo "  curl \"http://$DEMO_BIND/api/agent/v1/invoices?business_id=$BUSINESS\" -H \"Authorization: Bearer $token\""
echo
echo "API reference: http://$DEMO_BIND/api/agent/v1/docs   (Ctrl-C stops the demo)"
echo

if [ -n "${DEMO_DATABASE_URL:-}" ]; then
  AGENTAPI_BIND=$DEMO_BIND exec "$BIN/gunicorn" -c deploy/gunicorn.conf.py wsgi:app
fi
# In the background, so that the trap runs (and stops MariaDB) once gunicorn is gone.
AGENTAPI_BIND=$DEMO_BIND "$BIN/gunicorn" -c deploy/gunicorn.conf.py wsgi:app &
gunicorn_pid=$!
wait "$gunicorn_pid"
