#!/bin/sh
# scale.sh -- issue 16: 1,000 keep-alive connections (wrk -c1000
# --latency, p99) and 1 KiB GET req/s at 16 connections (wrk -t2 -c16),
# each for direct, trawl (regular mode, --dump -q), sslsplit as a plain
# TCP relay that parses no HTTP, and mitmdump where it runs. Runs
# alternate, BENCH_ROUNDS rounds, medians reported, with trawl's CPU µs
# per request (utime + stime over wrk's request count). Prints Markdown.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=${TRAWL:-$(pwd)/$BUILD/trawl}
TMP=$(mktemp -d /tmp/trawl-bench-scale.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
DUR=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
ulimit -n 8192 2>/dev/null

NP=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"	# nginx's worker runs as nobody
head -c 1024 /dev/urandom >"$TMP/www/1k"
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
worker_rlimit_nofile 8192;
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
wait_port "$NP" || { echo "nginx did not start"; exit 1; }
printf 'wrk.path = "http://127.0.0.1:%s/1k"\n' "$NP" >"$TMP/proxy.lua"

# sslsplit: a relay to nginx, no HTTP parsing, its default threads.
SP=$(free_port)
SSLSPLIT=no
if command -v sslsplit >/dev/null 2>&1; then
	sslsplit tcp 127.0.0.1 "$SP" 127.0.0.1 "$NP" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$SP" && SSLSPLIT=yes
fi
MP=$(free_port)
MITM=no
if command -v mitmdump >/dev/null 2>&1; then
	mitmdump -q --listen-host 127.0.0.1 --listen-port "$MP" \
	    --set confdir="$TMP/mitm" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$MP" && MITM=yes
fi

cpu_ticks() { # PID -> utime + stime, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
# wrk's p99 in ms
p99_ms() {
	awk '$1 == "99%" { v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) sub(/ms$/, "", v)
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f\n", v }' "$1"
}
wrk_one() { # WHO CONNS PORT -> wrk output in $TMP/wrk
	s=""; [ "$1" = trawl ] || [ "$1" = mitmdump ] && s="-s $TMP/proxy.lua"
	wrk -t2 -c"$2" -d"${DUR}s" --timeout 10s --latency $s \
	    "http://127.0.0.1:$3/1k" >"$TMP/wrk" 2>&1
}
run() { # WHO CONNS -> appends p99 (ms) or req/s to $TMP/WHO.CONNS
	case $1 in
	direct) wrk_one direct "$2" "$NP" ;;
	sslsplit) wrk_one sslsplit "$2" "$SP" ;;
	mitmdump) wrk_one mitmdump "$2" "$MP" ;;
	trawl)
		tp=$(free_port)
		"$TRAWL" --mode "regular@$tp" --dump -q --confdir "$TMP/trawl" \
		    </dev/null >/dev/null 2>&1 &
		pid=$!
		wait_port "$tp" || { echo "trawl did not start"; exit 1; }
		t0=$(cpu_ticks $pid)
		wrk_one trawl "$2" "$tp"
		t=$(( $(cpu_ticks $pid) - t0 ))
		kill $pid; wait $pid 2>/dev/null
		awk -v t="$t" -v hz="$(getconf CLK_TCK)" '/ requests in / {
		    printf "%.1f\n", t / hz * 1e6 / $1 }' "$TMP/wrk" >>"$TMP/cpu.$2"
		;;
	esac
	if [ "$2" = 1000 ]; then p99_ms "$TMP/wrk"; else
		awk '/Requests\/sec/ {print $2}' "$TMP/wrk"; fi >>"$TMP/$1.$2"
	grep -q "Socket errors" "$TMP/wrk" &&
	    echo "$1 c$2: $(grep 'Socket errors' "$TMP/wrk")" >>"$TMP/errors"
}
WHO="direct trawl"
[ $SSLSPLIT = yes ] && WHO="$WHO sslsplit"
[ $MITM = yes ] && WHO="$WHO mitmdump"
: >"$TMP/errors"; : >"$TMP/cpu.1000"; : >"$TMP/cpu.16"
for w in $WHO; do : >"$TMP/$w.1000"; : >"$TMP/$w.16"; done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in 1000 16; do
		for w in $WHO; do
			# mitmdump gets one 1,000-connection round: it takes seconds
			[ $w = mitmdump ] && [ $r -gt 1 ] && continue
			run $w $c
		done
	done
	r=$((r + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))" 2>/dev/null || echo "?"; }
runs() { tr '\n' ' ' <"$1" | sed 's/ $//'; }
d1=$(median "$TMP/direct.1000"); d16=$(median "$TMP/direct.16")
cell1() { v=$(median "$TMP/$1.1000"); echo "$v ms ($(ratio "$v" "$d1")×; $(runs "$TMP/$1.1000"))"; }
cell16() { v=$(median "$TMP/$1.16"); echo "$v ($(ratio "$v" "$d16")×; $(runs "$TMP/$1.16"))"; }
echo "Load average before / after: $load0 / $load1; $ROUNDS rounds of ${DUR}s, alternating, medians (runs in brackets)."
echo
printf '| workload | direct |'
for w in $WHO; do [ $w = direct ] || printf ' %s |' $w; done
echo
printf '| --- | ---: |'
for w in $WHO; do [ $w = direct ] || printf ' ---: |'; done
echo
printf '| 1,000 keep-alive connections (wrk -t2 -c1000), p99 | %s ms |' "$d1"
for w in $WHO; do [ $w = direct ] || printf ' %s |' "$(cell1 $w)"; done
echo
printf '| 1 KiB GET req/s, 16 connections (wrk -t2 -c16) | %s |' "$d16"
for w in $WHO; do [ $w = direct ] || printf ' %s |' "$(cell16 $w)"; done
echo
echo
echo "trawl CPU µs/request: $(median "$TMP/cpu.1000") at 1,000 connections, $(median "$TMP/cpu.16") at 16."
[ -s "$TMP/errors" ] && { echo; echo "wrk socket errors:"; sed 's/^/    /' "$TMP/errors"; }
exit 0
