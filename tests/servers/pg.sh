#!/usr/bin/env bash
# servers/pg.sh: a throw-away PostgreSQL on loopback for the connected-mode tests
# (a CTest fixture, see tests/CMakeLists.txt).
#   pg.sh start DIR PORT   initdb in a fresh folder, start on 127.0.0.1:PORT
#   pg.sh stop DIR         stop it and remove its data
#   pg.sh kill DIR         stop it at once, as a crash would, keeping its data
#   pg.sh restart DIR      start it again on its port
# The cluster's superuser is "kingface" with the password "kf-test-pw"
# (scram-sha-256 over TCP), the database "kingface" is empty; tests make their
# own databases (tests/e2e/lib.sh: pg_test_db). initdb refuses to run as root,
# so as root the server runs as "nobody", its data under /tmp where nobody can
# reach it.
set -euo pipefail

cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

stop() {
	[ -f "$dir/data_dir" ] || return 0
	local data
	data=$(cat "$dir/data_dir")
	if [ -f "$data/pgdata/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$data/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$data" "$dir/data_dir"
}

run() {
	local data port
	data=$(cat "$dir/data_dir")
	port=$(cat "$dir/port")
	as_owner "$bin/pg_ctl" -D "$data/pgdata" -l "$data/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c max_connections=100" \
		start >/dev/null || { cat "$data/server.log" >&2; exit 1; }
}

case $cmd in
kill)
	as_owner "$bin/pg_ctl" -D "$(cat "$dir/data_dir")/pgdata" -m immediate -w stop >/dev/null
	;;
restart)
	run
	;;
start)
	port=$3
	mkdir -p "$dir"
	stop
	data=$(mktemp -d /tmp/kingface-pg.XXXXXX)
	chmod 755 "$data"
	echo "$data" >"$dir/data_dir"
	echo "$port" >"$dir/port"
	printf 'kf-test-pw\n' >"$data/pw"
	[ "$(id -u)" -ne 0 ] || chown -R nobody:nogroup "$data"
	as_owner "$bin/initdb" -D "$data/pgdata" -U kingface --pwfile="$data/pw" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		>"$data/initdb.log" 2>&1 || { cat "$data/initdb.log" >&2; exit 1; }
	run
	as_owner "$bin/createdb" -h "$data" -p "$port" -U kingface kingface
	;;
stop)
	stop
	;;
*)
	echo "usage: pg.sh start DIR PORT | stop DIR | kill DIR | restart DIR" >&2
	exit 2
	;;
esac
