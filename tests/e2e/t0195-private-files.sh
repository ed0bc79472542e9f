#!/usr/bin/env bash
# Biometric data stays private: whatever the umask, the files and folders
# kingface creates (the data folder, the database and its -wal/-shm) are
# owner-only, 0600 and 0700; a database others can read gets one warning
# naming the chmod. (The photo cache: t0500-s3.)
. "$(dirname "$0")/lib.sh"

mkdir g && cp "$KF_TEST_DEMO"/sample1.jpg "$KF_TEST_DEMO"/sample2.jpg g/
M="--tiles off --concurrency 1"
# slow: a gallery that takes a few seconds, so that a `process` is still
# running (its -wal and -shm there) when it is killed, however fast it got
mkdir slow && for i in 1 2 3 4 5 6; do for k in a b c d; do
	cp "$KF_TEST_DEMO/sample$i.jpg" "slow/$k$i.jpg"; done; done

# modes DIR...: "mode path" of everything under the folders, themselves included
modes() {
	find "$@" -exec stat -c '%a %n' {} + | sort -k2
}

# all_private DIR...: every file 600, every folder 700
all_private() {
	modes "$@" >modes.txt && cat modes.txt &&
	! find "$@" \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) | grep .
}

# the default database under $XDG_DATA_HOME (KINGFACE_DB unset), umask $1
kf_default() {
	(umask "$1" && shift && env -u KINGFACE_DB "$KINGFACE" "$@")
}

for u in 022 000; do
	test_expect_success "umask $u: data folder, database, -wal and -shm are private" '
		export XDG_DATA_HOME="$TRASH/xdg-$u" &&
		db="$XDG_DATA_HOME/kingface/kingface.db" &&
		kf_default $u gallery import g >/dev/null &&
		kf_default $u gallery import slow >/dev/null &&
		(umask $u && env -u KINGFACE_DB "$KINGFACE" process slow $M >run.out 2>&1 & echo $! >pid) &&
		for i in $(seq 1 300); do [ -e "$db-shm" ] && break; sleep 0.1; done &&
		kill -9 "$(cat pid)" && sleep 0.2 &&
		test -e "$db-wal" && test -e "$db-shm" && all_private "$XDG_DATA_HOME" &&
		kf_default $u process g $M >/dev/null 2>&1 &&
		kf_default $u client add g Ana >/dev/null &&
		kf_default $u enroll g Ana --photo sample1.jpg --face 0 >/dev/null &&
		kf_default $u identify g g/sample2.jpg --tiles off >/dev/null &&
		kf_default $u status g --json | jq -e ".done == 2" &&
		all_private "$XDG_DATA_HOME"
	'
done

test_expect_success 'umask 000: a --db file and its -wal/-shm are 0600' '
	mkdir dbdir &&
	(umask 000 && kf --db dbdir/k.db gallery import slow >/dev/null) &&
	(umask 000 && kf --db dbdir/k.db process slow $M >run.out 2>&1 & echo $! >pid) &&
	for i in $(seq 1 300); do [ -e dbdir/k.db-shm ] && break; sleep 0.1; done &&
	kill -9 "$(cat pid)" && sleep 0.2 &&
	modes dbdir >m && cat m &&
	test "$(grep -c "^600 dbdir/k.db" m)" = 3
'

test_expect_success 'a database others can read: one warning naming the chmod' '
	export XDG_DATA_HOME="$TRASH/xdg-022" &&
	db="$XDG_DATA_HOME/kingface/kingface.db" &&
	chmod 644 "$db" &&
	env -u KINGFACE_DB "$KINGFACE" gallery list --json >out 2>err &&
	jq -e ".galleries | length == 2" out &&
	echo "kingface: warning: '"'"'$db'"'"' is readable by other users; run: chmod 600 '"'"'$db'"'"'" >expect &&
	test_cmp expect err &&
	chmod 755 "$XDG_DATA_HOME/kingface" &&
	env -u KINGFACE_DB "$KINGFACE" process g --all $M --json >out 2>err &&
	jq -e ".total == 2" out &&
	test "$(grep -c warning err)" = 1 &&
	test_grep err "; chmod 700 '"'"'$XDG_DATA_HOME/kingface'"'"'"
'

test_expect_success 'a private database: no warning' '
	export XDG_DATA_HOME="$TRASH/xdg-022" &&
	chmod 600 "$XDG_DATA_HOME/kingface/kingface.db" && chmod 700 "$XDG_DATA_HOME/kingface" &&
	env -u KINGFACE_DB "$KINGFACE" gallery list >/dev/null 2>err &&
	env -u KINGFACE_DB "$KINGFACE" status g >/dev/null 2>>err &&
	! grep . err
'

test_done
