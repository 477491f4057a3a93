#!/bin/sh
# modes.sh -- several modes on screen: the status bar says what listens
# where, and a flow's detail names the mode it came through.
S=trawl-tui-modes-$$
. "$(dirname "$0")/screen.inc"

OP=$(free_port); TP=$(free_port); SP=$(free_port); RP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 140 -y 30 -c "$TMP" "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color $TRAWL --mode regular@$TP \
    --mode socks5@$SP --mode reverse:http://127.0.0.1:$OP@$RP \
    --confdir $TMP/conf 2>$TMP/err; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
wait_port 127.0.0.1 "$SP" || { not_ok "trawl listens for SOCKS5"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

expect "the status bar lists every mode" \
    "regular 127.0.0.1:$TP, socks5 127.0.0.1:$SP, reverse:http://127.0.0.1:$OP 127.0.0.1:$RP"
curl -s --max-time 10 -x "http://127.0.0.1:$TP" "http://127.0.0.1:$OP/len/5" -o /dev/null
curl -s --max-time 10 --socks5-hostname "127.0.0.1:$SP" \
    "http://localhost:$OP/len/6" -o /dev/null
expect "both flows are in the list" "[2/2]"
# The focus is on the newest flow (the SOCKS5 one).
keys Enter
keys Tab
keys Tab
expect "the detail names the mode" "mode      socks5@$SP"
# Back to the list; the newest flow comes through the reverse proxy.
keys q
keys G
curl -s --max-time 10 "http://localhost:$RP/len/7" -o /dev/null
expect "the reverse flow is in the list" "[3/3]"
# The flow view opens on the tab it was left on (Detail).
keys Enter
expect "a reverse flow's detail says the Host its client sent" \
    "mode      reverse:http://127.0.0.1:$OP@$RP (the client sent Host: localhost:$RP)"
finish
