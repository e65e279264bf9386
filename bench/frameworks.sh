#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python framework entries of bench/run: the same application, "Hello"
# on /, served by AsgirefServer ("ours") and by its usual servers, each one
# process on 127.0.0.1, driven by the same wrk -t2 -c64 for
# ${HTTP_SECONDS:-5} s after a 1 s warm-up, each server started fresh,
# HTTP_REPS (3) rounds alternating them; medians.
#
# flask: bench/flask_hello.py, a Flask (WSGI) application, on this server
# through Asgiref.WsgiApplication.new_for_callable(), on Debian's gunicorn
# (one gthread worker, 4 threads) and on waitress (4 threads):
#   flask-hello-gunicorn        requests/s, ours against gunicorn's
#   flask-hello-waitress        requests/s, ours against waitress's
# starlette: bench/starlette_hello.py, a Starlette (ASGI) application, on
# this server on asyncio's GLib loop (Asgiref.install_asyncio()), and on
# uvicorn with uvloop and httptools (one process, its fastest set-up):
#   starlette-hello-uvicorn     requests/s, ours against uvicorn's
#
# Usage: bench/frameworks.sh BUILDDIR flask|starlette (BUILDDIR built with
# introspection: the typelib).
set -eu

builddir=${1:?usage: bench/frameworks.sh BUILDDIR flask|starlette}
framework=${2:?usage: bench/frameworks.sh BUILDDIR flask|starlette}
case $framework in
  flask) peers="gunicorn waitress" ;;
  starlette) peers="uvicorn" ;;
  *) echo "bench/frameworks.sh: no framework $framework" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${HTTP_SECONDS:-5}
reps=${HTTP_REPS:-3}
python=/usr/bin/python3
tmp=$(mktemp -d)
pid=
trap 'stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

stop () {
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

free_port () {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME: starts a fresh server, sets pid and url.
start () {
  : >"$tmp/port"
  case $1 in
    ours)
      GI_TYPELIB_PATH=$builddir/gir LD_LIBRARY_PATH=$builddir/asgiref PYTHONPATH=$top/gir \
        "$python" "$top/bench/${framework}_hello.py" </dev/null >"$tmp/port" 2>"$tmp/server.log" &
      pid=$!
      i=0
      while [ ! -s "$tmp/port" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
      port=$(head -n 1 "$tmp/port")
      ;;
    gunicorn)
      port=$(free_port)
      (cd "$top/bench" && exec "$python" -m gunicorn --workers 1 --worker-class gthread --threads 4 \
        --bind "127.0.0.1:$port" --log-level warning flask_hello:app) </dev/null 2>"$tmp/server.log" &
      pid=$!
      ;;
    waitress)
      port=$(free_port)
      (cd "$top/bench" && exec "$python" -m waitress --listen="127.0.0.1:$port" --threads=4 \
        flask_hello:app) </dev/null >/dev/null 2>"$tmp/server.log" &
      pid=$!
      ;;
    uvicorn)
      port=$(free_port)
      (cd "$top/bench" && exec "$python" -m uvicorn --loop uvloop --http httptools \
        --host 127.0.0.1 --port "$port" --log-level warning --no-access-log \
        starlette_hello:app) </dev/null >/dev/null 2>"$tmp/server.log" &
      pid=$!
      ;;
  esac
  url=http://127.0.0.1:$port/
  i=0
  until curl -sf "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$i" -ge 300 ]; then
      echo "bench/frameworks.sh: $1 did not start (url $url)" >&2
      cat "$tmp/server.log" >&2
      ps -o pid,stat,wchan:32,args -p "$pid" >&2 || true
      exit 1
    fi
    sleep 0.1
    i=$((i + 1))
  done
}

median () {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

r=0
while [ "$r" -lt "$reps" ]; do
  for name in ours $peers; do
    start "$name"
    wrk -t2 -c64 -d1s "$url" >/dev/null
    wrk -t2 -c64 -d"${seconds}s" "$url" | awk '/^Requests\/sec:/ { print $2 }' >>"$tmp/$name"
    stop
  done
  r=$((r + 1))
done

ours=$(median "$tmp/ours")
for peer in $peers; do
  awk -v e="$framework-hello-$peer" -v o="$ours" -v b="$(median "$tmp/$peer")" \
    'BEGIN { printf "%s\t%.0f\t%.0f\treq/s\t%.3f\n", e, o, b, o / b }'
done
