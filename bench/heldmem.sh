#!/bin/sh
# heldmem.sh -- memory per held connection (issue 16): 1,000 clients each
# do one 1 KiB GET on a keep-alive connection, then hold it idle; the RSS
# growth of the proxy over 1,000 (bench/held.py). HTTP and HTTPS, for
# trawl in regular mode (--dump -q; HTTPS via CONNECT, trawl's CA toward
# the client, --upstream-ca toward nginx), sslsplit as a relay that parses
# no HTTP (`sslsplit tcp`, and `sslsplit ssl` with the bench CA, which the
# client reaches directly: no CONNECT) and mitmdump where it runs.
# Prints Markdown rows. TRAWL=path/to/trawl picks the binary; CONNS (1000)
# the count. With OLD=path/to/an/older/trawl it then compares throughput:
# wrk -t2 -c16 -d5s of 1 KiB GETs through each, HTTP and HTTPS,
# alternating ROUNDS (3) times.
set -u
cd "$(dirname "$0")/.." || exit 1
TRAWL=${TRAWL:-$(pwd)/${BUILD:-build}/trawl}
N=${CONNS:-1000}
HELD=$(pwd)/bench/held.py
TMP=$(mktemp -d /tmp/trawl-heldmem.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
# Two fds per held connection in the proxy, one in the client.
ulimit -n 8192 2>/dev/null

NP=$(free_port)
NS=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"	# nginx's worker runs as nobody
head -c 1024 /dev/urandom >"$TMP/www/1k"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 7 -subj "/CN=Bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -out "$TMP/srv.pem" -days 7 -extfile "$TMP/ext" 2>/dev/null
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $TMP/ngx/error.log;
pid $TMP/ngx/nginx.pid;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 300s;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server { listen 127.0.0.1:$NP backlog=4096; root $TMP/www; }
	server { listen 127.0.0.1:$NS ssl backlog=4096; root $TMP/www;
		ssl_certificate $TMP/srv.pem; ssl_certificate_key $TMP/srv.key; }
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
wait_port "$NP" || { echo "nginx did not start"; exit 1; }

# start_trawl BINARY: a fresh trawl on $TP as $TRAWL_PID.
start_trawl() {
	TP=$(free_port)
	"$1" --mode "regular@$TP" --dump -q --confdir "$TMP/trawl" \
	    --upstream-ca "$TMP/ca.pem" </dev/null >/dev/null 2>&1 &
	TRAWL_PID=$!
	PIDS="$PIDS $TRAWL_PID"
	wait_port "$TP" || { echo "trawl did not start"; exit 1; }
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# held PORT KIND TARGET CAFILE PID -> bytes per held connection, or "-"
held() {
	python3 "$HELD" "$1" "$2" "$3" "$N" "$4" "$5" 2>"$TMP/held.err" ||
	    { echo "held.py: $(tail -1 "$TMP/held.err")" >&2; echo "-"; }
}

TCA=$TMP/trawl/trawl-ca-cert.pem
start_trawl "$TRAWL"
t_http=$(held "$TP" proxy "127.0.0.1:$NP" "$TMP/ca.pem" "$TRAWL_PID")
stop "$TRAWL_PID"
start_trawl "$TRAWL"
t_https=$(held "$TP" connect "localhost:$NS" "$TCA" "$TRAWL_PID")
stop "$TRAWL_PID"

s_http=-; s_https=-
if command -v sslsplit >/dev/null 2>&1; then
	SP=$(free_port)
	sslsplit tcp 127.0.0.1 "$SP" 127.0.0.1 "$NP" >/dev/null 2>&1 &
	p=$!; PIDS="$PIDS $p"
	if wait_port "$SP"; then
		s_http=$(held "$SP" plain "127.0.0.1:$NP" "$TMP/ca.pem" $p)
	fi
	stop $p
	SP=$(free_port)
	sslsplit -k "$TMP/ca.key" -c "$TMP/ca.pem" ssl 127.0.0.1 "$SP" \
	    127.0.0.1 "$NS" >/dev/null 2>&1 &
	p=$!; PIDS="$PIDS $p"
	if wait_port "$SP"; then
		s_https=$(held "$SP" tls "localhost:$NS" "$TMP/ca.pem" $p)
	fi
	stop $p
fi

m_http=-; m_https=-
if command -v mitmdump >/dev/null 2>&1; then
	MP=$(free_port)
	mitmdump -q --listen-host 127.0.0.1 --listen-port "$MP" \
	    --set confdir="$TMP/mitm" \
	    --set ssl_verify_upstream_trusted_ca="$TMP/ca.pem" >/dev/null 2>&1 &
	p=$!; PIDS="$PIDS $p"
	if wait_port "$MP"; then
		m_http=$(held "$MP" proxy "127.0.0.1:$NP" "$TMP/ca.pem" $p)
		m_https=$(held "$MP" connect "localhost:$NS" \
		    "$TMP/mitm/mitmproxy-ca-cert.pem" $p)
	fi
	stop $p
fi

echo "| $N held connections, 1 KiB GET each | trawl | sslsplit (relay) | mitmdump | target |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| HTTP: RSS growth per connection (bytes) | $t_http | $s_http | $m_http | 8192 |"
echo "| HTTPS: RSS growth per connection (bytes) | $t_https | $s_https | $m_https | 8192 |"

[ -n "${OLD:-}" ] || exit 0
command -v wrk >/dev/null || { echo "wrk is not installed"; exit 1; }
printf 'wrk.path = "http://127.0.0.1:%s/1k"\n' "$NP" >"$TMP/proxy.lua"
# wrk speaks TLS only to the address it is given: HTTPS through trawl is a
# CONNECT tunnel, which wrk cannot open. A tiny Python client cannot load
# trawl enough to show a difference, so HTTPS throughput is curl -Z: 4,000
# 1 KiB GETs over 16 keep-alive connections through the tunnel.
printf 'url = "https://localhost:%s/1k"\noutput = "/dev/null"\n' "$NS" >"$TMP/one"
i=0; : >"$TMP/many"; while [ $i -lt 4000 ]; do cat "$TMP/one" >>"$TMP/many"; i=$((i + 1)); done
http_rps() {
	wrk -t2 -c16 -d5s -s "$TMP/proxy.lua" "http://127.0.0.1:$TP" 2>&1 |
	    awk '/^Requests\/sec/ {printf "%.0f", $2}'
}
https_rps() {
	t0=$(date +%s.%N)
	curl -s --no-progress-meter -Z --parallel-max 16 --cacert "$TCA" \
	    -x "http://127.0.0.1:$TP" -K "$TMP/many" 2>/dev/null
	t1=$(date +%s.%N)
	python3 -c "print('%.0f' % (4000 / ($t1 - $t0)))"
}
echo
echo "| round | build | HTTP req/s (wrk -t2 -c16) | HTTPS req/s (curl -Z, 16 conns) |"
echo "| --- | --- | ---: | ---: |"
i=1
while [ $i -le "${ROUNDS:-3}" ]; do
	for b in old new; do
		if [ $b = old ]; then bin=$OLD; else bin=$TRAWL; fi
		start_trawl "$bin"
		h=$(http_rps); s=$(https_rps)
		stop "$TRAWL_PID"
		echo "| $i | $b | $h | $s |"
	done
	i=$((i + 1))
done
