#!/bin/sh
# websocket.sh -- the screen in tmux with a python3-websockets client and
# server: the list counts a WebSocket flow's messages, the Messages tab
# shows them with arrows (JSON pretty-printed, binary in hex) while the
# connection is open, > sends one, and e on a held message edits it in
# $EDITOR before a sends it; / finds a message.
S=trawl-tui-ws-$$
. "$(dirname "$0")/screen.inc"
PY=/usr/bin/python3
PEER=$(dirname "$0")/../e2e/wspeer.py

WP=$(free_port); TP=$(free_port)
$PY "$PEER" server "$WP" >"$TMP/ws.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$WP" || { not_ok "the server listens"; finish; }

# The editor: a script that rewrites the held message.
cat >"$TMP/ed.sh" <<'ED'
#!/bin/sh
printf 'edited in the editor\n' >"$1"
ED
chmod +x "$TMP/ed.sh"

tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color EDITOR=$TMP/ed.sh VISUAL= \
    $TRAWL --mode regular@$TP 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

# An intercept rule that matches once a client message says "hold".
tmux send-keys -t "$S" i
tmux send-keys -t "$S" -l '~websocket & ~bq hold'
keys Enter
sleep 0.3
expect "the rule is set" "intercept: ~websocket & ~bq hold"

# A client that stays open: it waits for the message the screen sends
# before it sends one the rule holds.
timeout 40 $PY "$PEER" client "ws://127.0.0.1:$WP/echo" --proxy "$TP" recv \
    'send:{"op":"sub","ch":[1,2]}' recv bin:00ff7f recv recv \
    send:hold-me recv send:close-me wait-close >"$TMP/c1" 2>&1 &
C1=$!
cleanup_add "kill $C1"
expect "the list counts the messages" "5 msg"
keys Enter
keys Tab Tab Tab
expect "the Messages tab is there" "Detail   Messages"
expect "the server's greeting with a left arrow" "← "
expect "a client's message with a right arrow" "→ "
expect "JSON is pretty-printed" '"op": "sub"'
expect "binary shows in hex" "00 ff 7f"
expect "the tab says the connection is open" "(open)"

# > sends a text message to the server; its echo shows live.
keys '>'
tmux send-keys -t "$S" -l 'typed at the screen'
keys Enter
expect "the injected message's echo shows while open" "echo:typed at the screen"
contains "the client got the echo of the injected message" "$TMP/c1" \
    "recv echo:typed at the screen"

# Then the client's next message is held; e edits it, a sends it.
expect "the message is held" "HELD"
keys e
expect "the editor changed the held message" "edited in the editor"
keys a
contains "the edited message reached the server" "$TMP/c1" \
    "recv echo:edited in the editor"
check "the original never reached it" sh -c "! grep -q 'echo:hold-me' '$TMP/c1'"
wait $C1
contains "the connection closed with the server's code" "$TMP/c1" "closed 4001 bye now"
expect "the tab shows the close" "closed by the server: 4001 bye now"
keys q
expect "the list counts every message" "10 msg"

# / finds text in messages; Enter lands on the message in its tab.
keys /
tmux send-keys -t "$S" -l 'ch":[1'
keys Enter
expect "the search finds the message" "message 3"
keys Enter
expect "the hit opens the Messages tab" "Detail   Messages"
expect "on the message" '"ch": ['
finish
