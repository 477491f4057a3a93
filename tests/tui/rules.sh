#!/bin/sh
# rules.sh -- the rules screen in tmux: R lists a command-line rule with
# the flows it changed; a adds a modify-headers rule the origin then
# sees, space disables it, d deletes it, e edits one (and an intercept
# rule); a bad rule shows
# the parser's column and adds nothing. E on an edited flow makes rules
# from the edit: a changed request header (modify-headers) and a replaced
# response body (map-local, answered without the origin). V reverts.
S=trawl-tui-rules-$$
. "$(dirname "$0")/screen.inc"

OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
mkdir -p "$TMP/xdg"

# The editor: a request gets a new User-Agent, a response a new body.
cat >"$TMP/ed.sh" <<'ED'
#!/bin/sh
if head -c 5 "$1" | grep -q '^HTTP/'; then
	awk '{ print } /^\r?$/ { exit }' "$1" >"$1.new"
	printf 'mocked-body\n' >>"$1.new"
	mv "$1.new" "$1"
else
	sed -i 's/^User-Agent: .*/User-Agent: trawl-edited\r/' "$1"
fi
ED
chmod +x "$TMP/ed.sh"

# One saved response for --server-replay (a name nobody resolves: the
# answer can only come from the file).
cat >"$TMP/saved.har" <<'HAR'
{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[
{"startedDateTime":"2026-12-03T10:00:00.000Z","time":1,
"request":{"method":"GET","url":"http://replayed.invalid/saved","httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[{"name":"Content-Length","value":"6"}],"cookies":[],"content":{"size":6,"mimeType":"text/plain","text":"saved\n"},"redirectURL":"","headersSize":-1,"bodySize":6},
"cache":{},"timings":{"send":0,"wait":1,"receive":0}}]}}
HAR

tmux new-session -d -s "$S" -x 160 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color EDITOR=$TMP/ed.sh VISUAL= \
    XDG_CONFIG_HOME=$TMP/xdg $TRAWL --mode regular@$TP \
    --modify-headers /~u\ cli/X-Cli/1 --server-replay $TMP/saved.har \
    2>$TMP/err; \
    echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

get() { # NAME QUERY: GET /headers?QUERY through trawl into $TMP/NAME
	curl -s --max-time 10 -x "http://127.0.0.1:$TP" -o "$TMP/$1" \
	    "http://127.0.0.1:$OP/headers?$2"
}
lacks() { # DESCRIPTION FILE TEXT
	if grep -qF -- "$3" "$2"; then not_ok "$1 ('$3' in $2)"; else ok "$1"; fi
}

get cli cli
contains "the command-line rule applies" "$TMP/cli" "X-Cli: 1"
keys Enter Tab Tab
expect "the flow view names the rule that changed it, with its spec" \
    "rules     modify-headers #1 /~u cli/X-Cli/1"
keys Tab q	# back on the Request tab, where the later checks look
keys R
expect "R lists the rule with one flow changed" \
    "[x] modify-headers #1        1  /~u cli/X-Cli/1"
expect "R shows the server replay with one response left" \
    "server replay: 1 saved responses left to answer"
keys q
curl -s --max-time 10 -x "http://127.0.0.1:$TP" -o "$TMP/saved" \
    http://replayed.invalid/saved
contains "the saved response answers" "$TMP/saved" "saved"
keys R
expect "and then none is left" "server replay: 0 saved responses left"

# a, h: a modify-headers rule typed as on the command line.
keys a
expect "a asks for the kind" "add: h)eaders"
keys h
tmux send-keys -t "$S" -l '/~u tui/X-Tui/yes'
keys Enter
expect "the rule is added" "added modify-headers #2"
expect "and listed" "[x] modify-headers #2        0  /~u tui/X-Tui/yes"
get tui1 tui
contains "the origin sees the TUI rule's header" "$TMP/tui1" "X-Tui: yes"
expect "its count goes up" "[x] modify-headers #2        1  /~u tui/X-Tui/yes"

# space disables it; the next request goes as it came.
keys j Space
expect "space disables it" "[ ] modify-headers #2"
get tui2 tui
lacks "a disabled rule changes nothing" "$TMP/tui2" "X-Tui"

# e edits it in place (same id), enabled again with space.
keys e
expect "e prefills the rule" "modify-headers: /~u tui/X-Tui/yes"
tmux send-keys -t "$S" BSpace BSpace BSpace
tmux send-keys -t "$S" -l 'two'
keys Enter
keys Space
expect "e changed the rule" "[x] modify-headers #2        1  /~u tui/X-Tui/two"
get tui3 tui
contains "the edited rule applies" "$TMP/tui3" "X-Tui: two"

# d deletes it.
keys d
sleep 0.3
get tui4 tui
lacks "a deleted rule changes nothing" "$TMP/tui4" "X-Tui"
if screen | grep -qF "X-Tui/two"; then not_ok "d removes the rule from the list"
else ok "d removes the rule from the list"; fi

# A bad rule: the parser's column, nothing added.
keys a h
tmux send-keys -t "$S" -l '/~u (/X-Bad/1'
keys Enter
expect "a bad rule shows the parser's column" "error: column 5: ~u needs"
keys Escape
sleep 0.3
if screen | grep -qF "X-Bad"; then not_ok "a bad rule is not added"
else ok "a bad rule is not added"; fi
keys q

# E: pause a request, edit it in $EDITOR, make a rule from the edit.
tmux send-keys -t "$S" i
tmux send-keys -t "$S" -l '~q & ~u edit'
keys Enter
get edit1 edit &
CURL_PID=$!
cleanup_add "kill $CURL_PID"
expect "the request is paused" "||"
keys e
expect "the editor ran" "request edited"
keys a
wait "$CURL_PID"
contains "the edited request reached the origin" "$TMP/edit1" \
    "User-Agent: trawl-edited"
keys I
keys E
expect "E offers the header change as a rule" \
    "add 1 rule: modify-headers |~q & ~u ^http://127\\.0\\.0\\.1:$OP/headers\\?|User-Agent|trawl-edited? y/n"
keys y
expect "y adds it and shows the rules" "added 1 rule"
expect "the rule is listed" "|User-Agent|trawl-edited"
keys q
get edit2 again
contains "the next matching request is changed" "$TMP/edit2" \
    "User-Agent: trawl-edited"

# V: the edited flow shows its original again.
keys k V
expect "V reverts the edit" "reverted"
keys Enter
expect "the flow shows the original request" "User-Agent: curl/"
keys q G

# A replaced response body becomes a map-local rule.
keys I
tmux send-keys -t "$S" i
tmux send-keys -t "$S" -l '~s & ~u mock'
keys Enter
get mock1 mock &
CURL_PID=$!
cleanup_add "kill $CURL_PID"
expect "the response is paused" "> !"
keys e
expect "the editor ran on the response" "response edited"
keys a
wait "$CURL_PID"
contains "the client got the edited body" "$TMP/mock1" "mocked-body"
keys I
keys E
expect "E offers a map-local rule" "add 1 rule: map-local |~q|"
keys y
expect "the map-local rule is listed" "map-local"
keys q
get mock2 mock
contains "the next request gets the saved body" "$TMP/mock2" "mocked-body"
lacks "and the origin did not answer it" "$TMP/mock2" "GET /headers"
check "the body was saved under XDG_CONFIG_HOME" \
    sh -c "ls '$TMP/xdg/trawl/bodies/' | grep -q ."

# e on an intercept rule: the new text replaces it.
keys R
keys k k k k k k
keys e
expect "e prefills an intercept rule" "intercept: ~q & ~u edit"
tmux send-keys -t "$S" BSpace BSpace BSpace BSpace
tmux send-keys -t "$S" -l 'other'
keys Enter
expect "the edited intercept rule is listed" "] ~q & ~u other"
if screen | grep -qF "] ~q & ~u edit"; then not_ok "the old intercept rule is gone"
else ok "the old intercept rule is gone"; fi
keys q

tmux send-keys -t "$S" Q
expect "Q quits at once" "trawl-exit-0"
finish
