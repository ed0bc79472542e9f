#!/usr/bin/env bash
# Bad databases: not SQLite, SQLite but not ours, newer schema, read-only.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a file that is not a database: no warning about its mode, only why' '
	echo "hello" >notdb && chmod 644 notdb && ! kf --db notdb gallery list 2>err &&
	test_grep err "not a kingface database" && test "$(cat notdb)" = hello &&
	test "$(wc -l <err)" = 1
'

test_expect_success 'a folder given as the database' '
	mkdir adir && ! kf --db adir gallery list 2>err &&
	test_grep err "'\''adir'\'' is a folder, not a database file" && test "$(wc -l <err)" = 1
'

test_expect_success 'an SQLite file of another program' '
	sqlite3 other.db "CREATE TABLE t(x)" && ! kf gallery list --db other.db 2>err &&
	test_grep err "not a kingface database"
'

test_expect_success 'a database from a newer kingface' '
	kf --db new.db gallery list >/dev/null && sqlite3 new.db "PRAGMA user_version = 999" &&
	! kf --db new.db gallery list 2>err && test_grep err "newer than this kingface" &&
	test_grep err "upgrade kingface"
'

test_expect_success 'a read-only database refuses changes and says why' '
	mkdir g && kf --db ro.db gallery list >/dev/null && chmod 0444 ro.db &&
	if [ "$(id -u)" = 0 ]; then
		# root writes anyway: make the file immutable-like by using a read-only mount
		# is not possible here, so check the message path with a non-root user when one exists
		if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
			chmod 0755 "$TRASH" && chown -R nobody "$TRASH/g" &&
			! setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp \
				"$KINGFACE" --db "$TRASH/ro.db" gallery import "$TRASH/g" 2>err &&
			test_grep err "read-only"
		fi
	else
		! kf --db ro.db gallery import g 2>err && test_grep err "read-only"
	fi
'

test_expect_success 'the default database goes under XDG_DATA_HOME' '
	env -u KINGFACE_DB "$KINGFACE" gallery list >/dev/null &&
	test -f "$XDG_DATA_HOME/kingface/kingface.db"
'

test_expect_success 'a database locked by another process: a clear error, jobs stay queued' '
	mkdir photos && cp "$KF_TEST_DEMO"/sample1.jpg photos/ && kf gallery import photos >/dev/null &&
	{ printf "BEGIN EXCLUSIVE;\n"; sleep 20; printf "COMMIT;\n"; } | sqlite3 "$KINGFACE_DB" &
	locker=$!
	sleep 1 &&
	! KINGFACE_BUSY_TIMEOUT_MS=500 kf process photos --tiles off 2>err &&
	test_grep err "locked" && kill $locker; wait $locker 2>/dev/null;
	kf photo list photos --json | jq -e ".photos[0].status == \"pending\""
'

test_done
