#!/bin/sh
# pcap.sh -- the screen in tmux: P in the flow view saves one flow as
# synthesized packets (pcapng, 0600) that tshark reads back as the
# flow's HTTP request and response.
S=trawl-tui-pcap-$$
. "$(dirname "$0")/screen.inc"

command -v tshark >/dev/null || { not_ok "tshark is installed (make deps)"; finish; }
OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL --mode regular@$TP 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

curl -s --max-time 10 -x "http://127.0.0.1:$TP" \
    "http://127.0.0.1:$OP/status/418" -o /dev/null
expect "one flow" "[1/1]"
tmux send-keys -t "$S" Enter
expect "the flow opens" "Flow "
tmux send-keys -t "$S" P
expect "P asks for a file" "save packets to: "
tmux send-keys -t "$S" C-u
tmux send-keys -t "$S" -l "$TMP/flow.pcapng"
tmux send-keys -t "$S" Enter
expect "P saves the packets" "packets to $TMP/flow.pcapng"
check "the file is private" sh -c \
    "[ \"\$(stat -c %a '$TMP/flow.pcapng')\" = 600 ]"
tshark -r "$TMP/flow.pcapng" -Y http -T fields -e http.request.uri \
    -e http.response.code >"$TMP/tshark.out" 2>"$TMP/tshark.err"
check "tshark reads the request URI" grep -q "^/status/418" "$TMP/tshark.out"
check "and the response code" grep -q "418" "$TMP/tshark.out"
tshark -r "$TMP/flow.pcapng" -o tcp.check_checksum:TRUE \
    -Y "tcp.checksum.status == 0 || tcp.analysis.flags" \
    >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
check "no bad checksum nor TCP analysis warning" \
    sh -c "[ $rc = 0 ] && [ ! -s '$TMP/bad.out' ]"
tmux send-keys -t "$S" q Q
expect "Q quits" "trawl-exit-0"
finish
