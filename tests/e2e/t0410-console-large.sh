#!/usr/bin/env bash
# The console on a gallery of 10,000 photos: the Photos tab pages its rows
# from the store (only the visible ones are drawn), End reaches the last
# photo at once, and / filters the 10,000 keys as you type.
. "$(dirname "$0")/lib.sh"

SOCK="kf-e2e-$$"
unset COLORTERM NO_COLOR   # the colours of this terminal, not the caller's
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$TRASH"' EXIT
mkdir big
for i in $(seq -w 1 10000); do ln "$KF_TEST_DEMO/sample6.jpg" "big/p$i.jpg"; done
kf gallery import big >/dev/null

tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
wait_for() {
	local i
	for i in $(seq 1 $(( ${2:-10} * 10 ))); do
		tm capture-pane -p -t kf >screen.txt 2>/dev/null
		grep -qF -- "$1" screen.txt && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$1'; the screen:"
	cat screen.txt
	return 1
}
tm new-session -d -s kf -x 80 -y 24 -c "$TRASH" \
	"LANG=C.UTF-8 WORKER_CONCURRENCY=1 '$KINGFACE' 2>kf.err; echo \$? >kf.exit; sleep 600"

test_expect_success 'the Photos tab of 10,000 photos scrolls to the end at once' '
	wait_for "big" && tm send-keys -t kf Enter 2 && wait_for "p00001.jpg" &&
	tm send-keys -t kf End && wait_for "p10000.jpg" 3 &&
	for i in $(seq 1 20); do tm send-keys -t kf PPage; done &&
	wait_for "p09" 3 && cp screen.txt paged.txt
'

test_expect_success '/ filters the keys as you type' '
	tm send-keys -t kf / 0 9 9 9 9 && wait_for "/09999" &&
	sleep 0.5 && tm capture-pane -p -t kf >f.txt && cat f.txt &&
	test "$(grep -c "^ p[0-9]*\.jpg" f.txt)" = 1 && grep -q "p09999.jpg" f.txt &&
	tm send-keys -t kf Escape && wait_for "p00001.jpg"
'

test_expect_success 'p processes in the background, Esc stops cleanly, the rest stays queued' '
	tm send-keys -t kf p && wait_for "Processing… " 60 && tm send-keys -t kf Escape &&
	wait_for "Stopped at" 120 && cp screen.txt stopped.txt &&
	kf status big --json >st.json && cat st.json &&
	jq -e ".running == 0 and .pending >= 9990 and .done + .pending + .failed == 10000" st.json
'

test_expect_success 'q twice quits cleanly' '
	tm send-keys -t kf q q &&
	for i in $(seq 1 100); do [ -f kf.exit ] && break; sleep 0.1; done &&
	test "$(cat kf.exit)" = 0 && ! grep -i sanitizer kf.err
'

say "# --- screen: Photos tab, paged back from the end ---"
sed 's/^/# /' paged.txt
say "# --- screen: processing stopped with Esc ---"
sed 's/^/# /' stopped.txt
test_done
