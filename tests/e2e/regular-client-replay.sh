#!/bin/sh
# --client-replay: requests recorded through trawl (HTTP, HTTPS, a POST
# body) are sent again in file order, one at a time by default or N at
# once with --client-replay-concurrency, each a new flow marked as a
# client replay; --dump exits when all are done, 0 when every one got a
# response, 1 otherwise, with a summary line; a bad HAR is an error
# naming the file.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Test Origin CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

OP=$(free_port); SP=$(free_port); PP=$(free_port)
O=http://127.0.0.1:$OP
S=https://localhost:$SP
X="-x http://127.0.0.1:$PP"
CA=$TMP/config/trawl/trawl-ca-cert.pem

origin() { # LOG -> $OPID
	python3 "$HERE/origin.py" "$OP" >"$TMP/$1" 2>&1 &
	OPID=$!
	cleanup_add "kill $OPID"
	wait_port 127.0.0.1 "$OP"
}
python3 "$HERE/origin.py" "$SP" 127.0.0.1 "$TMP/srv.pem" "$TMP/srv.key" \
    >"$TMP/origin-tls.log" 2>&1 &
cleanup_add "kill $!"
origin origin.log || exit 1
wait_port 127.0.0.1 "$SP" || exit 1

# 1. Record: three GETs in order, a POST with a body, an HTTPS GET.
start_trawl --mode "regular@$PP" --dump -w "$TMP/rec.har" \
    --upstream-ca "$TMP/ca.pem"
wait_port 127.0.0.1 "$PP" || { cat "$TMP/dump.err"; exit 1; }
for n in a b c; do curl -s $X "$O/seq/$n" >/dev/null; done
curl -s $X --data-binary 'the saved body' "$O/echo" >/dev/null
curl -s --cacert "$CA" $X "$S/headers" >/dev/null
contains "the recording saw the HTTPS request" "$TMP/dump.out" "GET $S/headers"
stop_trawl
kill "$OPID"; wait "$OPID" 2>/dev/null

# Runs trawl --dump -n with ARGS until it exits by itself (20 s at
# most); its status in $RC.
replay() {
	"$TRAWL" -n --dump --upstream-ca "$TMP/ca.pem" "$@" \
	    </dev/null >"$TMP/r.out" 2>"$TMP/r.err" &
	rp=$!
	i=0
	while kill -0 "$rp" 2>/dev/null && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.1
	done
	kill "$rp" 2>/dev/null
	wait "$rp"
	RC=$?
}

# 2. One at a time (the default), in order.
origin origin2.log || exit 1
replay --client-replay "$TMP/rec.har" -w "$TMP/out.har"
eq "every request answered: exit 0" "$RC" "0"
contains "a summary line" "$TMP/r.err" \
    "client replay: 5 requests, 5 answered, 0 failed"
eq "the origin saw them in order, one at a time" \
    "$(curl -s "$O/seqlog")" "a b c peak=1"
contains "each is a new flow with the server's answer" "$TMP/r.out" \
    "replay GET $O/seq/b << 200 OK"
contains "HTTPS too" "$TMP/r.out" "replay GET $S/headers << 200 OK"
python3 - "$TMP/out.har" <<'PY' >"$TMP/facts"
import json, sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    t = e["response"]["content"].get("text", "")
    print(e["_replay"], e["request"]["method"], e["response"]["status"],
          t.strip() if e["request"]["method"] == "POST" else "")
PY
eq "the HAR marks them client replays; the POST body went as saved" \
    "$(sort "$TMP/facts" | uniq -c | sed 's/^ *//;s/ *$//')" \
"4 client GET 200
1 client POST 200 the saved body"
kill "$OPID"; wait "$OPID" 2>/dev/null

# 3. Three at once: the GETs overlap at the origin.
origin origin3.log || exit 1
replay --client-replay "$TMP/rec.har" --client-replay-concurrency 3
eq "concurrency 3: exit 0" "$RC" "0"
got=$(curl -s "$O/seqlog")
eq "three were in progress at once" "${got##* }" "peak=3"
eq "all three arrived" "$(echo "${got% *}" | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "a b c "
kill "$OPID"; wait "$OPID" 2>/dev/null

# 4. The origin is gone: the plain requests fail, exit 1.
replay --client-replay "$TMP/rec.har"
eq "failed requests: exit 1" "$RC" "1"
contains "the summary counts them" "$TMP/r.err" \
    "client replay: 5 requests, 1 answered, 4 failed"

# 5. A file that is no HAR: an error naming it, nothing sent.
printf 'not json' >"$TMP/bad.har"
replay --client-replay "$TMP/bad.har"
eq "a bad HAR exits 2" "$RC" "2"
contains "the error names the file" "$TMP/r.err" "--client-replay $TMP/bad.har:"
replay --client-replay "$TMP/rec.har" --client-replay-concurrency 0
eq "a bad concurrency exits 2" "$RC" "2"

finish
