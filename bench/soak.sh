#!/bin/sh
# soak.sh -- issue 21's soak: SOAK_SECONDS (default 600) of mixed load
# through regular mode: wrk keep-alive GETs of 1 KiB from nginx (32
# connections) while tests/e2e/abandon.py's clients give up at every
# stage, over and over (5 of each kind a round, against origin.py over
# HTTP and HTTPS). Each minute (each wrk run) it reports trawl's open
# descriptors, RSS, flows held, client connections, req/s and p99; then
# what trawl holds 5 s after the load stopped. Prints a Markdown table.
# Needs nginx and wrk (make bench-deps). Release build of trawl.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=$(pwd)/$BUILD/trawl
SOAK=${SOAK_SECONDS:-600}
SLICE=60
[ "$SOAK" -lt $SLICE ] && SLICE=$SOAK
TMP=$(mktemp -d /tmp/trawl-soak.XXXXXX)
PIDS=
trap 'touch "$TMP/stop"; for p in $PIDS; do kill $p 2>/dev/null; done; sleep 0.2; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

NP=$(free_port); OP=$(free_port); OPS=$(free_port); TP=$(free_port)
DEAD=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"
head -c 1024 /dev/urandom >"$TMP/www/1k"
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $TMP/ngx/error.log;
pid $TMP/ngx/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server { listen 127.0.0.1:$NP backlog=4096; root $TMP/www; }
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 7 -subj "/CN=Soak CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -out "$TMP/srv.pem" -days 7 -extfile "$TMP/ext" 2>/dev/null
python3 tests/e2e/origin.py "$OP" >/dev/null 2>&1 &
PIDS="$PIDS $!"
python3 tests/e2e/origin.py "$OPS" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >/dev/null 2>&1 &
PIDS="$PIDS $!"
mkfifo "$TMP/ctl"
sleep $((SOAK + 600)) >"$TMP/ctl" &
PIDS="$PIDS $!"
"$TRAWL" --mode "regular@$TP" --dump -q --confdir "$TMP/conf" \
    --upstream-ca "$TMP/ca.pem" <"$TMP/ctl" >"$TMP/dump.out" 2>"$TMP/trawl.err" &
TRAWL_PID=$!
PIDS="$PIDS $TRAWL_PID"
exec 3>"$TMP/ctl"
for p in "$NP" "$OP" "$OPS" "$TP"; do
	wait_port "$p" || { echo "port $p did not open"; exit 1; }
done
printf 'wrk.path = "http://127.0.0.1:%s/1k"\n' "$NP" >"$TMP/proxy.lua"

# stats: this call's own answer (a command substitution is a subshell,
# so the count of earlier answers is read, not kept); empty after 30 s.
stats() {
	n=$(grep -c '^stats ' "$TMP/dump.out")
	echo stats >&3
	i=0
	while [ "$(grep -c '^stats ' "$TMP/dump.out")" -le "$n" ] && [ $i -lt 300 ]; do
		i=$((i + 1)); sleep 0.1
	done
	grep '^stats ' "$TMP/dump.out" | sed -n "$((n + 1))p"
}
field() { v=$(echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"); echo "${v:-?}"; }
# trawl's time on a CPU and waiting for one (runnable), in ns, from
# /proc/PID/schedstat: "RUN WAIT" for the minute's percentages.
sched() { awk '{ print $1, $2 }' "/proc/$TRAWL_PID/schedstat"; }
pct() { # NS_NOW NS_BEFORE SECONDS
	echo "$1 $2 $3" | awk '{ printf "%.0f", ($1 - $2) / ($3 * 1e7) }'
}
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$TRAWL_PID/status"; }
row() { # MINUTE REQS P99 CPU% WAIT%
	s=$(stats)
	echo "| $1 | $(field "$s" fds) | $(rss_mib) | $(field "$s" flows) | $(field "$s" clients) | $2 | $3 | $4 | $5 |"
}

# The abandoning clients, round after round until the load stops.
(
	while [ ! -f "$TMP/stop" ]; do
		/usr/bin/python3 tests/e2e/abandon.py "proxy:127.0.0.1:$TP" \
		    "127.0.0.1:$OP" "localhost:$OPS" "127.0.0.1:$DEAD" 5 \
		    >>"$TMP/abandon.out" 2>&1
	done
) &
ABANDON=$!
PIDS="$PIDS $ABANDON"

# SOAK_PERF=FILE: a call-graph profile of trawl under the load into FILE.
if [ -n "${SOAK_PERF:-}" ]; then
	perf record -q -F 499 -g -p "$TRAWL_PID" -o "$SOAK_PERF" -- sleep "$SOAK" \
	    >/dev/null 2>&1 &
fi
echo "| $(date -u +%Y-%m-%d) \`SOAK_SECONDS=$SOAK sh bench/soak.sh\` minute | fds | RSS MiB | flows held | clients | req/s (wrk, 32 conns) | p99 | trawl on CPU | trawl runnable, waiting |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
row 0 - - - -
m=0 left=$SOAK
while [ "$left" -gt 0 ]; do
	d=$SLICE; [ "$left" -lt $d ] && d=$left
	set -- $(sched)
	wrk -t2 -c32 -d"${d}s" --latency -s "$TMP/proxy.lua" \
	    "http://127.0.0.1:$TP/1k" >"$TMP/wrk" 2>&1
	r0=$1 w0=$2
	set -- $(sched)
	m=$((m + 1)) left=$((left - d))
	row "$m" "$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$TMP/wrk")" \
	    "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk")" \
	    "$(pct "$1" "$r0" "$d")%" "$(pct "$2" "$w0" "$d")%"
done
touch "$TMP/stop"
wait $ABANDON	# the round under way
sleep 5
s=$(stats)
echo
n=$(grep -c ' done ' "$TMP/abandon.out")
echo "5 s after the load: $s (RSS $(rss_mib) MiB); $n batches of 5 abandoning clients ran; load average $(cut -d' ' -f1-3 /proc/loadavg)."
