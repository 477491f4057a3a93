#!/bin/sh
# Saving and loading HAR: -w as flows finish, valid after SIGTERM and
# SIGKILL, -n -r --dump prints what was saved, filters select, devtools
# files load.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
start_trawl --mode "regular@$PP" --dump -w "$TMP/all.har"
wait_port 127.0.0.1 "$PP" || exit 1
O=http://127.0.0.1:$OP
X="-x http://127.0.0.1:$PP"

curl -s $X "$O/len/100" -o /dev/null
curl -s $X -d 'a=1&b=2' "$O/echo" -o /dev/null
curl -s $X "$O/status/404" -o /dev/null
curl -s $X "http://no-such-host.invalid/" -o /dev/null
sleep 0.3
check "the HAR file is valid JSON while trawl runs" python3 -m json.tool "$TMP/all.har" >/dev/null
stop_trawl
check "the HAR file is valid JSON after SIGTERM" python3 -m json.tool "$TMP/all.har" >/dev/null
eq "every flow was saved" "$(python3 -c "import json; print(len(json.load(open('$TMP/all.har'))['log']['entries']))")" "4"
eq "HAR version and creator" "$(python3 -c "import json; l=json.load(open('$TMP/all.har'))['log']; print(l['version'], l['creator']['name'])")" "1.2 trawl"
eq "file is private (0600)" "$(stat -c %a "$TMP/all.har")" "600"

# -n -r --dump prints the same lines as the live run.
"$TRAWL" -n -r "$TMP/all.har" --dump >"$TMP/replayed.out" 2>&1
eq "loaded flows print the same dump lines" "$(cut -d' ' -f2- "$TMP/replayed.out")" "$(cut -d' ' -f2- "$TMP/dump.out")"
"$TRAWL" -n -r "$TMP/all.har" --dump '~c 404' >"$TMP/f.out" 2>&1
eq "a dump filter selects loaded flows" "$(wc -l <"$TMP/f.out")" "1"
contains "the selected flow is the 404" "$TMP/f.out" "<< 404"
"$TRAWL" -n -r "$TMP/all.har" --dump '~e' >"$TMP/e.out" 2>&1
contains "the error survives the round trip" "$TMP/e.out" "error: cannot resolve no-such-host.invalid"

# A filter on -w saves only matching flows; SIGKILL still leaves valid JSON.
start_trawl --mode "regular@$PP" --dump -w "$TMP/post.har" '~m POST'
wait_port 127.0.0.1 "$PP" || exit 1
curl -s $X "$O/len/1" -o /dev/null
curl -s $X -d x=1 "$O/echo" -o /dev/null
sleep 0.3
kill -9 "$TRAWL_PID"; wait "$TRAWL_PID" 2>/dev/null
check "valid JSON after SIGKILL" python3 -m json.tool "$TMP/post.har" >/dev/null
eq "-w with a filter saved only the POST" "$(python3 -c "import json; e=json.load(open('$TMP/post.har'))['log']['entries']; print([x['request']['method'] for x in e])")" "['POST']"

# Files from browsers' devtools load.
"$TRAWL" -n -r tests/unit/data/chrome.har --dump >"$TMP/chrome.out" 2>&1
check "a Chrome HAR loads" grep -q "<< 200" "$TMP/chrome.out"
"$TRAWL" -n -r tests/unit/data/firefox.har --dump >"$TMP/ff.out" 2>&1
check "a Firefox HAR loads" grep -q "<< 200" "$TMP/ff.out"

# Bad files: clear errors, non-zero exit, no crash.
echo '{"log": ' >"$TMP/bad.har"
"$TRAWL" -n -r "$TMP/bad.har" --dump >"$TMP/bad.out" 2>&1
rc=$?
check "a truncated HAR is an error" [ "$rc" = 1 ]
check "the error names the file" grep -q "bad.har" "$TMP/bad.out"
"$TRAWL" -n -r "$TMP/missing.har" --dump >"$TMP/miss.out" 2>&1
check "a missing file is an error" [ $? = 1 ]
finish
