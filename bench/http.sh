#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The HTTP entries of bench/run (which builds bench-http-server and checks
# that wrk is there): AsgirefServer ("ours", bench-http-server asgi)
# against a bare libsoup handler doing the same work ("baseline",
# bench-http-server bare), measured side by side in this run. Prints one
# tab-separated line per entry: entry, ours, baseline, unit, ratio.
#
#   http-hello, http-1mib          requests/s on / (5 bytes) and /big
#       (1 MiB): wrk -t2 -c64 -d${HTTP_SECONDS}s --latency after a 1 s
#       warm-up, each server started fresh, REPS pairs run alternately
#       (bare, asgi, bare, asgi, ...); medians
#   http-wsgi-hello                the same for / through the WSGI adapter
#       (a synchronous C handler on the bridge's worker threads)
#   http-hello-2-threads           the same for / with two serving threads
#       (asgi:2) against the same bare handler, which libsoup serves on
#       one thread only
#   http-hello-p99, http-1mib-p99  the 99th percentile latency of those
#       runs, ms; medians
#   http-errors                    socket errors + non-2xx/3xx responses
#       that wrk counted over all the measured runs (ratio "-" when the
#       baseline is 0)
#   http-hello-instructions        instructions per request on / under
#       callgrind (zeroed after a warm-up, dumped after a bounded wrk run,
#       requests counted by the server's /count); skipped without valgrind
#   http-hello-try-send-instructions  the same on /now, where the
#       application sends with try_send() instead of waiting on its body's
#       send
#   http-1gib-stream-rss           ASGI only: how much the resident set
#       grew (VmHWM - VmRSS at start, MiB) while curl read /stream (1 GiB
#       in 64 KiB chunks); baseline = the target bound, 16 MiB
#
# Usage: bench/http.sh BUILDDIR
# Environment: HTTP_SECONDS (default 5), HTTP_REPS (default 3).
set -eu

builddir=${1:?usage: bench/http.sh BUILDDIR}
server=$builddir/bench/bench-http-server
seconds=${HTTP_SECONDS:-5}
reps=${HTTP_REPS:-3}
tmp=$(mktemp -d)
pid=

# Stops the running server, if any: closes its standard input, then
# kills it if it has not ended within 10 s.
stop () {
  [ -n "$pid" ] || return 0
  exec 9>&-
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
trap 'stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# start MODE [WRAPPER ARGS...]: starts a fresh server (under WRAPPER when
# given), sets pid and url (its port comes from the server).
start () {
  mode=$1
  shift
  rm -f "$tmp/in"
  mkfifo "$tmp/in"
  : >"$tmp/port"
  "$@" "$server" "$mode" <"$tmp/in" >"$tmp/port" 2>"$tmp/server.log" &
  pid=$!
  exec 9>"$tmp/in"
  i=0
  while [ ! -s "$tmp/port" ]; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$i" -ge 600 ]; then
      echo "bench/http.sh: bench-http-server $mode did not start" >&2
      cat "$tmp/server.log" >&2
      exit 1
    fi
    sleep 0.1
    i=$((i + 1))
  done
  sleep 0.1   # the whole line
  url=http://127.0.0.1:$(head -n 1 "$tmp/port")
}

count () {
  curl -sf "$url/count"
}

# wrk output -> "requests/s p99-ms errors"
parse_wrk () {
  awk '
    /^Requests\/sec:/ { rps = $2 }
    /^ *99%/ {
      v = $2
      if (v ~ /us$/) { sub(/us$/, "", v); p99 = v / 1000 }
      else if (v ~ /ms$/) { sub(/ms$/, "", v); p99 = v }
      else if (v ~ /m$/) { sub(/m$/, "", v); p99 = v * 60000 }
      else if (v ~ /s$/) { sub(/s$/, "", v); p99 = v * 1000 }
    }
    /Socket errors:/ {
      for (i = 1; i <= NF; i++) { f = $i; sub(/,$/, "", f); if (f ~ /^[0-9]+$/) errors += f }
    }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    END {
      if (rps == "" || p99 == "") exit 1
      printf "%s %s %d\n", rps, p99, errors
    }' "$1"
}

median () {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- throughput and latency, pairs alternating ---------------------------

: >"$tmp/errors-bare"
: >"$tmp/errors-asgi"
r=0
while [ "$r" -lt "$reps" ]; do
  for name in hello 1mib hello-2-threads wsgi-hello; do
    case $name in *hello*) path=/ ;; *) path=/big ;; esac
    case $name in
      *-2-threads) modes="bare asgi:2" ;;
      wsgi-*) modes="bare wsgi" ;;
      *) modes="bare asgi" ;;
    esac
    for mode in $modes; do
      start "$mode"
      wrk -t2 -c64 -d1s "$url$path" >/dev/null
      wrk -t2 -c64 -d"${seconds}s" --latency "$url$path" >"$tmp/wrk.out"
      stop
      if ! parse_wrk "$tmp/wrk.out" >"$tmp/wrk.parsed"; then
        echo "bench/http.sh: could not read wrk's output:" >&2
        cat "$tmp/wrk.out" >&2
        exit 1
      fi
      read -r rps p99 errors <"$tmp/wrk.parsed"
      side=${mode%%:*}
      [ "$side" = wsgi ] && side=asgi
      echo "$rps" >>"$tmp/$name-$side"
      echo "$p99" >>"$tmp/$name-p99-$side"
      echo "$errors" >>"$tmp/errors-$side"
    done
  done
  r=$((r + 1))
done

for name in hello 1mib hello-2-threads wsgi-hello; do
  awk -v e="http-$name" -v o="$(median "$tmp/$name-asgi")" -v b="$(median "$tmp/$name-bare")" \
    'BEGIN { printf "%s\t%.0f\t%.0f\treq/s\t%.3f\n", e, o, b, o / b }'
  awk -v e="http-$name-p99" -v o="$(median "$tmp/$name-p99-asgi")" -v b="$(median "$tmp/$name-p99-bare")" \
    'BEGIN { printf "%s\t%.2f\t%.2f\tms\t%.3f\n", e, o, b, o / b }'
done
awk -v o="$(awk '{ s += $1 } END { print s + 0 }' "$tmp/errors-asgi")" \
    -v b="$(awk '{ s += $1 } END { print s + 0 }' "$tmp/errors-bare")" \
  'BEGIN { printf "http-errors\t%d\t%d\tcount\t%s\n", o, b, b == 0 ? "-" : sprintf("%.3f", o / b) }'

# ---- instructions per request under callgrind ----------------------------

if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
  for run in bare asgi asgi-now; do
    case $run in *-now) mode=asgi path=/now ;; *) mode=$run path=/ ;; esac
    start "$mode" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p"
    wrk -t1 -c8 -d2s "$url$path" >/dev/null
    c0=$(count)
    callgrind_control -z "$pid" >"$tmp/cgctl.log" 2>&1 || { cat "$tmp/cgctl.log" >&2; exit 1; }
    wrk -t1 -c8 -d4s "$url$path" >/dev/null
    callgrind_control -d "$pid" >"$tmp/cgctl.log" 2>&1 || { cat "$tmp/cgctl.log" >&2; exit 1; }
    c1=$(count)
    cgpid=$pid
    stop
    instructions=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.$cgpid.1" 2>/dev/null || true)
    requests=$((c1 - c0 - 1))
    if [ -z "$instructions" ] || [ "$requests" -le 0 ]; then
      echo "bench/http.sh: no callgrind count for $mode (dump: $instructions, requests: $requests)" >&2
      exit 1
    fi
    echo "$instructions $requests" >"$tmp/cg-$run"
  done
  read -r bi bn <"$tmp/cg-bare"
  for run in asgi asgi-now; do
    read -r oi on <"$tmp/cg-$run"
    case $run in *-now) entry=http-hello-try-send-instructions ;; *) entry=http-hello-instructions ;; esac
    awk -v e="$entry" -v oi="$oi" -v on="$on" -v bi="$bi" -v bn="$bn" \
      'BEGIN { o = oi / on; b = bi / bn
               printf "%s\t%.0f\t%.0f\tinstr/req\t%.3f\n", e, o, b, o / b }'
  done
else
  echo "bench/http.sh: valgrind or callgrind_control is missing; skipped http-hello-instructions" >&2
fi

# ---- memory while streaming 1 GiB ----------------------------------------

start asgi
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
size=$(curl -s --limit-rate 200M -o /dev/null -w '%{size_download}' "$url/stream" || true)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
stop
if [ "$size" != 1073741824 ]; then
  echo "bench/http.sh: /stream gave ${size:-nothing} bytes instead of 1073741824" >&2
fi
awk -v d="$((hwm - rss0))" \
  'BEGIN { printf "http-1gib-stream-rss\t%.1f\t16.0\tMiB\t%.3f\n", d / 1024, d / 1024 / 16 }'
