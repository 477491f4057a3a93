#!/bin/sh
# h2.sh -- HTTP/2 through trawl's regular mode beside a direct connection,
# in one run, on 127.0.0.1 with an nginx origin (HTTP/2 over TLS and h2c):
# h2load 1 KiB requests/s with 16 connections x 16 streams (h2c, trawl's
# own port with prior knowledge: h2load has no proxy setting; median of
# three rounds, direct and trawl in turn), MB/s of a
# 256 MiB download over HTTP/2 (median of three) (curl --http2 through a CONNECT tunnel, and
# h2c), and trawl's memory per open stream (h2load holding 10 x 100
# streams that nginx answers at 1 KiB/s). Prints a Markdown table.
# Needs nginx, h2load and curl (make deps). Called by bench/run.sh.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=$(pwd)/$BUILD/trawl
TMP=$(mktemp -d /tmp/trawl-bench-h2.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
DUR=${BENCH_SECONDS:-5}
for c in nginx h2load curl; do
	command -v $c >/dev/null || { echo "| HTTP/2: $c missing |"; exit 1; }
done

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))" 2>/dev/null || echo "?"; }

chmod 755 "$TMP"	# nginx's worker runs as nobody
mkdir -p "$TMP/www/slow" "$TMP/ngx"
head -c 1024 /dev/urandom >"$TMP/www/1k"
head -c 268435456 /dev/zero >"$TMP/www/256m"
head -c 1048576 /dev/zero >"$TMP/www/slow/1m"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 7 -subj "/CN=Bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -out "$TMP/srv.pem" -days 7 -extfile "$TMP/ext" 2>/dev/null
NC=$(free_port); NS=$(free_port)
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
	root $TMP/www;
	server { listen 127.0.0.1:$NC http2 backlog=4096;
		location /slow/ { limit_rate 1k; } }
	server { listen 127.0.0.1:$NS ssl http2;
		ssl_certificate $TMP/srv.pem; ssl_certificate_key $TMP/srv.key; }
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
wait_port "$NC" && wait_port "$NS" || { echo "| HTTP/2: nginx did not start |"; exit 1; }

# fresh_trawl: a new trawl (its store empty) on $TP as $TRAWL_PID.
fresh_trawl() {
	[ -n "${TRAWL_PID:-}" ] && kill "$TRAWL_PID" 2>/dev/null
	TP=$(free_port)
	"$TRAWL" --mode "regular@$TP" --dump -q --confdir "$TMP/trawl" \
	    --upstream-ca "$TMP/ca.pem" </dev/null >/dev/null 2>&1 &
	TRAWL_PID=$!
	PIDS="$PIDS $TRAWL_PID"
	wait_port "$TP" || { echo "| HTTP/2: trawl did not start |"; exit 1; }
}

# h2load_rps [PROXYPORT]: req/s of 1 KiB GETs, 16 connections x 16
# streams, for $DUR s; "?" unless every request succeeded.
h2load_rps() {
	ct=""; [ -n "${1:-}" ] && ct="--connect-to=127.0.0.1:$1"
	h2load -c 16 -m 16 -t 1 -D "$DUR" $ct "http://127.0.0.1:$NC/1k" >"$TMP/h2load" 2>&1
	if grep -q " 0 failed, 0 errored, 0 timeout" "$TMP/h2load"; then
		sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$TMP/h2load" |
		    python3 -c "import sys; print('%.0f' % float(sys.stdin.read()))"
	else
		echo "?"
	fi
}
# mbs URL CURLARGS...: MB/s of three downloads, the median; "?" unless
# each spoke HTTP/2.
mbs() {
	u=$1; shift
	for _ in 1 2 3; do
		curl -s "$@" -o /dev/null -w '%{speed_download} %{http_version}\n' "$u"
	done >"$TMP/curl"
	python3 - "$TMP/curl" <<'PY'
import sys
runs = [l.split() for l in open(sys.argv[1])]
if len(runs) != 3 or any(r[1] != "2" for r in runs):
    print("?")
else:
    print("%.0f" % (sorted(float(r[0]) for r in runs)[1] / 1e6))
PY
}

# median A B C: the middle one of three numbers ("?" if any is).
median() {
	python3 -c "import sys; v = sys.argv[1:]
print('?' if '?' in v else sorted(v, key=float)[1])" "$@"
}

# Three rounds, direct and through trawl in turn, each round with a
# fresh trawl: the medians, so that one round another job slowed does
# not decide the row.
r=
for _ in 1 2 3; do
	fresh_trawl
	r="$r $(h2load_rps) $(h2load_rps "$TP")"
done
set -- $r
d1=$(median "$1" "$3" "$5"); t1=$(median "$2" "$4" "$6")
TCA=$TMP/trawl/trawl-ca-cert.pem
fresh_trawl
d2=$(mbs "https://127.0.0.1:$NS/256m" --http2 --cacert "$TMP/ca.pem")
t2=$(mbs "https://127.0.0.1:$NS/256m" --http2 --cacert "$TCA" -x "http://127.0.0.1:$TP")
fresh_trawl
d3=$(mbs "http://127.0.0.1:$NC/256m" --http2-prior-knowledge)
t3=$(mbs "http://127.0.0.1:$NC/256m" --http2-prior-knowledge --connect-to "::127.0.0.1:$TP")

# Memory per open stream: 10 connections x 100 streams (trawl's limit per
# connection), each answered at 1 KiB/s so it stays open; RSS after 3 s.
fresh_trawl
r0=$(rss_kib "$TRAWL_PID")
h2load -c 10 -m 100 -n 1000 -t 1 --connect-to="127.0.0.1:$TP" \
    "http://127.0.0.1:$NC/slow/1m" >"$TMP/held" 2>&1 &
HL=$!
PIDS="$PIDS $HL"
sleep 3
r1=$(rss_kib "$TRAWL_PID")
# Streams trawl has open toward nginx: nginx has them all (its status
# page is not in nginx-light; the held connections are counted instead).
conns=$(ss -Htn state established "( dport = :$NC )" 2>/dev/null | wc -l)
kill "$HL" 2>/dev/null

echo "| $(date -u +%Y-%m-%d) \`sh bench/h2.sh\` (${DUR} s runs) | direct | trawl | trawl/direct |"
echo "| --- | ---: | ---: | ---: |"
echo "| h2load 1 KiB GETs, req/s, 16 connections x 16 streams (h2c), median of 3 | $d1 | $t1 | $(ratio "$t1" "$d1") |"
echo "| 256 MiB download over HTTP/2 (TLS, curl --http2), MB/s, median of 3 | $d2 | $t2 | $(ratio "$t2" "$d2") |"
echo "| 256 MiB download over h2c (prior knowledge), MB/s, median of 3 | $d3 | $t3 | $(ratio "$t3" "$d3") |"
echo "| trawl RSS growth per open stream (1,000 streams on $conns upstream connections, with their flows) | - | $(( (r1 - r0) * 1024 / 1000 )) bytes | - |"
