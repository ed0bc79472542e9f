#!/usr/bin/env bash
# The command line's help, exit codes and option parsing.
. "$(dirname "$0")/lib.sh"

test_expect_success 'kingface --help lists every command' '
	kf --help >out &&
	for c in "gallery import" "gallery list" "gallery show" "gallery remove" \
		 "client add" "client list" "client rename" "client remove" "photo list"; do
		test_grep out "$c"
	done
'

test_expect_success 'every command has --help, before or after its arguments' '
	kf gallery import --help >out && test_grep out "usage: kingface gallery import DIR" &&
	test_grep out "--name NAME" &&
	kf photo list x --help >out && test_grep out "--status S" &&
	kf client remove -h >out && test_grep out "biometric"
'

test_expect_success 'the help fits 80 columns: long lines wrap under their column' '
	kf --help >out && kf process --help >>out && kf detect --help >>out &&
	! awk "length > 80" out | grep . &&
	grep -A1 "^  gallery engine GALLERY \[local|rekognition\]$" out |
		grep -q "^ \{37\}show or switch" &&
	grep -A1 "^  --precision auto|fp32  auto: " out | grep -q "^ \{25\}[a-z]"
'

test_expect_code 2 'no command is a usage error' 'kf'
test_expect_code 2 'an unknown command is a usage error' 'kf frobnicate'
test_expect_code 2 'an unknown option is a usage error' 'kf gallery list --frob'
test_expect_code 2 'a missing argument is a usage error' 'kf client add g'
test_expect_code 2 'an extra argument is a usage error' 'kf gallery list extra'
test_expect_code 2 'an option without its value is a usage error' 'kf gallery import d --name'
test_expect_code 2 'a group word alone lists its subcommands' 'kf gallery'

test_expect_success 'usage errors say what is wrong and where to look' '
	! kf gallery list --frob 2>err &&
	test_grep err "unknown option '\''--frob'\''" &&
	test_grep err "kingface gallery list --help" &&
	! kf settings set cache-ttl-days -1 2>err && test_grep err "put -- before it" &&
	! kf settings set cache-ttl-days -- -1 2>err && test_grep err "from 0 to 3650, not '\''-1'\''" &&
	! kf worker extra 2>err && grep -qx "usage: kingface worker" err
'

test_expect_success '--version prints the version' '
	kf --version >out &&
	grep -q "^kingface [0-9]" out &&
	grep -Eq "^kernels: float32 (avx512|avx2|neon|generic), int8 (avx512vnni|avxvnni|neondot|generic|off) " out
'

test_done
