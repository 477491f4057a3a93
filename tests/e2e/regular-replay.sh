#!/bin/sh
# regular-replay.sh -- a replay goes back to the address the original
# flow reached, with its Host and SNI, not to what its name resolves to
# now; a replay whose URL the user edited goes where the URL says.
#
# trawl runs in a mount namespace of its own whose /etc/hosts is the
# test's: replay.test first names 127.0.0.1 (the origins), then 127.0.0.2
# (nothing listens there) when the flows are replayed.
. "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (a mount namespace)"; exit 1; }

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Replay CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=replay.test" 2>/dev/null
printf 'subjectAltName=DNS:replay.test\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

HP=$(free_port); SP=$(free_port); PP=$(free_port)
start_origin "$HP"
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$SP" || exit 1

printf '127.0.0.1 replay.test other.test\n' >"$TMP/hosts"
mkfifo "$TMP/ctl"
sleep 600 >"$TMP/ctl" &
cleanup_add "kill $!"
# unshare execs: $! is trawl. The hosts file is rewritten in place later
# (same inode), so the bind mount follows it.
unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh \
    "$TMP/hosts" "$TRAWL" --mode "regular@$PP" --dump -w "$TMP/r.har" \
    --confdir "$TMP/conf" --upstream-ca "$TMP/ca.pem" \
    <"$TMP/ctl" >"$TMP/dump.out" 2>"$TMP/dump.err" &
TRAWL_PID=$!
cleanup_add "kill $TRAWL_PID"
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"
D=$TMP/dump.out

# Waits for a line of the dump (fixed string, 5 s).
await() {
	i=0
	while ! grep -qF -- "$1" "$D"; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1
	done
}
# Until N dump lines hold TEXT (5 s).
await_n() {
	i=0
	while [ "$(grep -cF -- "$2" "$D")" -lt "$1" ]; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1
	done
}
# The id "ok replay N" gave for the newest replay.
replay() {
	n=$(grep -c '^ok replay\|^error' "$D")
	echo "replay $1" >&3
	i=0
	while [ "$(grep -c '^ok replay\|^error' "$D")" -le "$n" ]; do
		i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 0.1
	done
	grep '^ok replay\|^error' "$D" | tail -n 1
}

curl -s $X -o /dev/null "http://replay.test:$HP/headers" ||
	not_ok "curl http://replay.test"
await "GET http://replay.test:$HP/headers << 200 OK" ||
	not_ok "the http flow"
curl -s $X --cacert "$TMP/conf/trawl-ca-cert.pem" -o /dev/null \
    "https://replay.test:$SP/headers" || not_ok "curl https://replay.test"
await "GET https://replay.test:$SP/headers << 200 OK" ||
	not_ok "the https flow"

# The name now leads nowhere trawl could reach.
printf '127.0.0.2 replay.test\n127.0.0.1 other.test\n' >"$TMP/hosts"
eq "replay 1" "$(replay 1)" "ok replay 3"
eq "replay 2" "$(replay 2)" "ok replay 4"
check "the http replay reaches the original address" \
    await "replay GET http://replay.test:$HP/headers << 200 OK"
check "the https replay reaches the original address" \
    await "replay GET https://replay.test:$SP/headers << 200 OK"

# An edit that keeps the URL keeps the address; one that points the URL
# elsewhere is resolved.
printf 'GET /headers HTTP/1.1\r\nHost: replay.test:%s\r\nX-Kept: 1\r\n\r\n' \
    "$HP" >"$TMP/kept"
echo "edit 1 request $TMP/kept" >&3
printf 'GET http://other.test:%s/headers HTTP/1.1\r\nHost: other.test:%s\r\n\r\n' \
    "$HP" "$HP" >"$TMP/moved"
echo "edit 3 request $TMP/moved" >&3
await "ok" || not_ok "edit"
sleep 0.3
eq "replay of a header edit" "$(replay 1)" "ok replay 5"
eq "replay of a URL edit" "$(replay 3)" "ok replay 6"
check "a header edit still goes to the original address" \
    await_n 2 "replay GET http://replay.test:$HP/headers << 200 OK"
check "a URL edit goes to the new host" \
    await "replay GET http://other.test:$HP/headers << 200 OK"

stop_trawl
/usr/bin/python3 - "$TMP/r.har" "$HP" "$SP" <<'EOF' >"$TMP/har.out" 2>&1
import json, sys
hp, sp = sys.argv[2], sys.argv[3]
es = json.load(open(sys.argv[1]))["log"]["entries"]
def body(url, replay):
    for e in es:
        if e["request"]["url"] == url and (e.get("_replayOf", 0) != 0) == replay:
            return e["response"]["content"].get("text", ""), e
    raise SystemExit("no %s entry for %s" % ("replay" if replay else "original", url))
for port, scheme in ((hp, "http"), (sp, "https")):
    text, e = body("%s://replay.test:%s/headers" % (scheme, port), True)
    assert "Host: replay.test:%s" % port in text, text
    assert e.get("serverIPAddress") == "127.0.0.1", e.get("serverIPAddress")
text, e = body("http://other.test:%s/headers" % hp, True)
assert "Host: other.test:%s" % hp in text, text
print("ok")
EOF
eq "the replays carried the original Host to 127.0.0.1 (HAR)" \
    "$(tail -n 1 "$TMP/har.out")" "ok"
[ "$(tail -n 1 "$TMP/har.out")" = ok ] || cat "$TMP/har.out"
finish
