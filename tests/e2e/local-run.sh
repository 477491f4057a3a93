#!/bin/sh
# local-run.sh -- `trawl run --dump -- CMD` captures CMD and everything it
# starts, whatever their names, and nothing else; CMD runs as the user
# behind sudo (SUDO_UID/SUDO_GID) in a fresh child cgroup of --cgroup;
# HTTPS works through the CA variables trawl sets (curl and python without
# --cacert); trawl exits with CMD's status, kills what CMD left behind
# (saying so) and removes the cgroup and the bundle.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
# A test CA and an HTTPS origin in netns B on 443.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 7 -subj "/CN=Run Test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.test.trawl" 2>/dev/null
printf 'subjectAltName=DNS:www.test.trawl,IP:192.0.2.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 7 -extfile "$T/ext" 2>/dev/null ||
	fail "test certificates"
inb python3 tests/e2e/origin.py 443 192.0.2.1 "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/len/1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "https server did not start"
	sleep 0.05
done

# CMD runs as nobody: its folder must be reachable for that user.
U=65534
chmod 711 "$T"
R=$T/run
mkdir "$R" && chmod 777 "$R" || fail "mkdir $R"
cat >"$R/script.sh" <<'EOF'
R=$1
id -u >"$R/uid"
cat /proc/self/cgroup >"$R/cgroup"
env | grep -E '^(SSL_CERT_FILE|REQUESTS_CA_BUNDLE|NODE_EXTRA_CA_CERTS|CURL_CA_BUNDLE|GIT_SSL_CAINFO)=' >"$R/env"
# Wait until the test has sent its uncaptured request.
i=0; while [ ! -e "$R/go" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
curl -sS -m 5 -o /dev/null http://192.0.2.1/len/11 || exit 101
python3 -c 'import urllib.request
urllib.request.urlopen("http://192.0.2.1/len/12", timeout=5).read()' || exit 102
# A child of a child, under a name nobody would put in a spec.
sh -c 'sh -c "python3 -c \"
import ctypes, urllib.request
ctypes.CDLL(None).prctl(15, b\\\"zz-renamed\\\", 0, 0, 0)
urllib.request.urlopen(\\\"http://192.0.2.1/len/13\\\", timeout=5).read()
\""' || exit 103
# HTTPS trusting trawl's CA only through the variables trawl set.
curl -sS -m 5 -o "$R/https.body" https://192.0.2.1/len/14 || exit 104
python3 -c 'import urllib.request
urllib.request.urlopen("https://192.0.2.1/len/15", timeout=5).read()' || exit 105
# Left behind: trawl kills it when CMD ends.
sleep 300 &
echo $! >"$R/leftover"
exit 7
EOF

nsenter --net=/run/netns/$A env SUDO_UID=$U SUDO_GID=$U "$TRAWL" run \
    --cgroup "$CG" --dump --confdir "$T/conf" --upstream-ca "$T/ca.pem" \
    -- sh "$R/script.sh" "$R" >"$T/dump.out" 2>"$T/trawl.err" &
TRAWL_PID=$!
i=0
until [ -s "$R/env" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "CMD did not start"
	sleep 0.05
done
RUNCG=$CG/trawl-run-$TRAWL_PID
[ -d "$RUNCG" ] || fail "no cgroup $RUNCG"
# Outside the cgroup while CMD runs: never captured.
ina curl -sS -m 3 -o /dev/null http://192.0.2.1/len/99 || fail "uncaptured curl"
touch "$R/go"
wait $TRAWL_PID
rc=$?
TRAWL_PID=
[ $rc = 7 ] || fail "trawl exited $rc, not CMD's 7"
ok "trawl exits with CMD's status (7)"

[ "$(cat "$R/uid")" = $U ] || fail "CMD ran as uid $(cat "$R/uid"), not $U"
grep -q "as nobody" "$T/trawl.err" || fail "no 'as nobody' said"
ok "CMD runs as SUDO_UID"
grep -q "^0::/${RUNCG#$CG2/}\$" "$R/cgroup" ||
	fail "CMD ran in $(cat "$R/cgroup"), not $RUNCG"
ok "CMD runs in a fresh child cgroup of --cgroup"

for n in 11 12; do
	grep -qE "(curl|python3):[0-9]+ GET http://192\.0\.2\.1/len/$n << 200 OK" \
	    "$T/dump.out" || fail "flow /len/$n missing"
done
grep -qE "zz-renamed:[0-9]+ GET http://192\.0\.2\.1/len/13 << 200 OK" \
    "$T/dump.out" || fail "the grandchild's flow missing"
ok "curl, python and a renamed child of a child are captured"
absent "/len/99" || fail "a program outside the cgroup was captured"
ok "nothing outside the cgroup is captured"

[ "$(wc -c <"$R/https.body")" = 14 ] || fail "https body"
for n in 14 15; do
	grep -qE ":[0-9]+ GET https://192\.0\.2\.1/len/$n << 200 OK" \
	    "$T/dump.out" || fail "https flow /len/$n missing"
done
for v in SSL_CERT_FILE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE \
    GIT_SSL_CAINFO; do
	grep -q "^$v=" "$R/env" || fail "$v not set for CMD"
	grep -q "$v" "$T/trawl.err" || fail "trawl did not say it set $v"
done
BUNDLE=$(sed -n 's/^CURL_CA_BUNDLE=//p' "$R/env")
[ ! -e "$BUNDLE" ] || fail "the bundle $BUNDLE was left behind"
ok "HTTPS through the CA variables trawl set and named"

grep -q "killing 1 process left in $RUNCG" "$T/trawl.err" ||
	fail "no word about the leftover"
# Gone, or a zombie its new parent has yet to reap.
st=$(awk '/^State:/ { print $2 }' "/proc/$(cat "$R/leftover")/status" 2>/dev/null)
[ -z "$st" ] || [ "$st" = Z ] || fail "the leftover survived (state $st)"
[ ! -d "$RUNCG" ] || fail "the cgroup $RUNCG is still there"
ok "what CMD left is killed, and the cgroup removed"

# A command that cannot start: trawl says so and leaves nothing.
nsenter --net=/run/netns/$A "$TRAWL" run --cgroup "$CG" --dump \
    --confdir "$T/conf" -- /nonexistent/cmd >/dev/null 2>"$T/trawl.err"
rc=$?
[ $rc != 0 ] || fail "a missing command ran"
grep -q "/nonexistent/cmd" "$T/trawl.err" || fail "no word about the command"
[ -z "$(find "$CG" -mindepth 1 -type d)" ] || fail "a cgroup was left"
ok "a command that cannot start is reported, nothing left"
echo PASS
