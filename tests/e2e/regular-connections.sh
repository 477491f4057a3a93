#!/bin/sh
# One upstream connection per client connection in regular mode (issue
# 22), over HTTP and over HTTPS through CONNECT: N client connections
# reach the origin as N connections (the origin's /peer tells each
# request's address), one keep-alive client connection with several
# requests as one; the origin's side closes soon after the client's (a
# bounded wait, shorter than the idle reaper's LIMIT_IDLE_UPSTREAM_SEC);
# a replay opens a connection of its own and closes it after the answer.
. "$(dirname "$0")/lib.sh"
N=5

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Conn CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

OP=$(free_port); OPS=$(free_port); PP=$(free_port)
start_origin "$OP"
python3 "$HERE/origin.py" "$OPS" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OPS" || exit 1
mkfifo "$TMP/ctl"
sleep 600 >"$TMP/ctl" &
cleanup_add "kill $!"
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump \
    --confdir "$TMP/conf" --upstream-ca "$TMP/ca.pem"
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"
TCA=$TMP/conf/trawl-ca-cert.pem
D=$TMP/dump.out

# The origin's own word, asked directly (not through trawl).
ask() { # http|https PATH
	if [ "$1" = http ]; then curl -s -m 2 "http://127.0.0.1:$OP$2"
	else curl -s -m 2 --cacert "$TMP/ca.pem" "https://localhost:$OPS$2"; fi
}
distinct() { sort -u "$1" | wc -l; }
# Bounded wait for the origin's open connections to be WANT (2 s: the
# reaper would close an idle upstream after 4).
open_is() { # http|https WANT
	i=0
	while [ "$(ask "$1" /open)" != "$2" ] && [ $i -lt 20 ]; do
		i=$((i + 1)); sleep 0.1
	done
	[ "$(ask "$1" /open)" = "$2" ]
}
nflows() { grep -c ' << ' "$D"; }
await_flows() { # COUNT
	i=0
	while [ "$(nflows)" -lt "$1" ] && [ $i -lt 30 ]; do i=$((i + 1)); sleep 0.1; done
}

for s in http https; do
	if [ $s = http ]; then U="http://127.0.0.1:$OP"; C=""
	else U="https://localhost:$OPS"; C="--cacert $TCA"; fi
	: >"$TMP/$s.peers"
	i=0
	while [ $i -lt $N ]; do
		curl -s -m 5 $C $X "$U/peer" >>"$TMP/$s.peers"
		echo >>"$TMP/$s.peers"
		i=$((i + 1))
	done
	eq "$s: $N client connections reach the origin as $N" \
	    "$(distinct "$TMP/$s.peers")" $N
	curl -s -m 5 $C $X "$U/peer" -o "$TMP/$s.ka1" "$U/peer" -o "$TMP/$s.ka2" \
	    "$U/peer" -o "$TMP/$s.ka3" "$U/peer" -o "$TMP/$s.ka4"
	for f in 1 2 3 4; do cat "$TMP/$s.ka$f"; echo; done >"$TMP/$s.ka"
	eq "$s: one keep-alive client connection, 4 requests, reaches it as one" \
	    "$(grep -c . "$TMP/$s.ka")/$(distinct "$TMP/$s.ka")" 4/1
	check "$s: ... and not as any earlier one" sh -c \
	    "! grep -qxF '$(head -n 1 "$TMP/$s.ka")' '$TMP/$s.peers'"

	# A client holds its connection: the origin has it open, then sees
	# it close soon after the client's.
	check "$s: the origin holds nothing between clients" open_is $s 1
	rm -f "$TMP/held" "$TMP/go"
	tls=0; [ $s = https ] && tls=1
	/usr/bin/python3 "$HERE/hold.py" "proxy:127.0.0.1:$PP" \
	    "${U#*://}" $tls "$TMP" >"$TMP/hold.out" 2>&1 &
	H=$!
	i=0; while [ ! -f "$TMP/held" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	eq "$s: while the client holds its connection, so does the origin" \
	    "$(ask $s /open)" 2
	touch "$TMP/go"
	wait $H
	check "$s: the origin's side closes within 2 s of the client's" open_is $s 1
done

# Replays: each a connection of its own, closed after the answer.
await_flows $((2 * (N + 5)))
for s in http https; do
	if [ $s = http ]; then id=1 U="http://127.0.0.1:$OP"
	else id=$((N + 5 + 1)) U="https://localhost:$OPS"; fi
	before=$(ask $s /conns)
	echo "replay $id" >&3
	i=0
	while ! grep -qF " replay GET $U/peer << 200" "$D" && [ $i -lt 30 ]; do
		i=$((i + 1)); sleep 0.1
	done
	check "$s: the replay of flow $id ran" grep -qF " replay GET $U/peer << 200" "$D"
	eq "$s: the replay opened a connection of its own" \
	    "$(($(ask $s /conns) - before))" 2
	check "$s: ... and closed it after the answer" open_is $s 1
done
finish
