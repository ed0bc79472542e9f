#!/usr/bin/env bash
# --precision auto|fp32 and the setting 'precision' (core/nn_gemm_q8.h): auto
# runs the recognition net in int8 where the CPU has dot products; its
# descriptors stay within 0.02 of float32's, the boxes and landmarks do not
# move, and the dev protocol keeps its 32 hits and no false match. Forcing an
# int8 kernel with KF_GEMM_INT8 gives the same numbers, never a crash.
. "$(dirname "$0")/lib.sh"

S1="$KF_TEST_DEMO/sample1.jpg"
G="$KF_TEST_DATA/datasets/dev/groups/bbt1.jpg"

# the largest distance between the descriptors of the same faces in two
# detect --json outputs, and whether their boxes and landmarks are equal
max_dist() {
	jq -s '[.[0].images, .[1].images] | transpose | map(map(.faces) | transpose[] |
		[.[0].descriptor, .[1].descriptor] | transpose |
		map((.[0] - .[1]) * (.[0] - .[1])) | add | sqrt) | max' "$1" "$2"
}
same_geometry() {
	jq -se '[.[0].images, .[1].images] | transpose | all(map(.faces | map({box, landmarks})) |
		.[0] == .[1])' "$1" "$2" >/dev/null
}

test_expect_success 'the setting: auto by default, fp32, a bad value names the choices' '
	test "$(kf settings get precision)" = auto &&
	! kf settings set precision int4 2>err &&
	test_grep err "must be auto or fp32, not" &&
	kf settings set precision fp32 && test "$(kf settings get precision)" = fp32 &&
	kf settings get --json | jq -e ".precision == \"fp32\"" &&
	kf settings set precision auto
'

test_expect_code 2 'a bad --precision is a usage error' '
	kf detect --precision int4 "$S1"
'

test_expect_success 'auto against fp32: the same boxes and landmarks, descriptors within 0.02' '
	kf detect --descriptors --json "$S1" "$G" >auto.json &&
	kf detect --descriptors --json --precision fp32 "$S1" "$G" >fp32.json &&
	test "$(jq "[.images[].faces[]] | length" auto.json)" -ge 7 &&
	same_geometry auto.json fp32.json &&
	d=$(max_dist auto.json fp32.json) && echo "largest distance $d" &&
	jq -en "$d <= 0.02"
'

# auto runs int8 only where the CPU has a dot-product kernel (VNNI, SDOT), float32
# elsewhere; the portable int8 kernel runs anywhere. A kernel the CPU lacks
# falls back to the best it has: int8 (the same numbers as generic) or float32
# (the same as auto).
test_expect_success 'KF_GEMM_INT8 forces a kernel: the same numbers; off is float32' '
	KF_GEMM_INT8=generic kf detect --descriptors --json "$S1" "$G" >generic.json &&
	same_geometry generic.json fp32.json &&
	g=$(max_dist generic.json fp32.json) && echo "generic against fp32: $g" &&
	jq -en "$g > 0 and $g <= 0.02" &&
	if test "$(max_dist auto.json fp32.json)" != 0; then
		jq -en "$(max_dist generic.json auto.json) <= 0.0001"
	fi &&
	KF_GEMM_INT8=off kf detect --descriptors --json "$S1" "$G" >off.json &&
	test "$(max_dist off.json fp32.json)" = 0 &&
	for k in avxvnni avx512vnni neondot bogus; do
		KF_GEMM_INT8=$k kf detect --descriptors --json "$S1" "$G" >k.json &&
		{ test "$(max_dist k.json auto.json)" = 0 ||
		  jq -en "$(max_dist k.json generic.json) <= 0.0001"; } || return 1
	done
'

D="$KF_TEST_DATA/datasets/dev/identities"
people="amy bernadette howard leonard penny raj sheldon stuart"
mkdir empty && kf gallery import empty --name dev >/dev/null
for p in $people; do
	kf client add dev "$p" >/dev/null && kf enroll dev "$p" "$D/$p/${p}1.png" >/dev/null
done
probes=
for p in $people; do for i in 2 3 4 5; do probes="$probes $D/$p/$p$i.png"; done; done
# hits and false matches at 80, one line of similarities
protocol() {
	local name=$1
	shift
	kf identify dev $probes --threshold 0 --json "$@" | jq -r '.images[] |
		(.path | split("/") | .[-2]) as $id | (.faces[0].matches[0] // {}) |
		[$id, (.clientName // "-"), (.similarity // 0)] | @tsv' >"$name.tsv" &&
	awk -F'\t' '{ h += ($2 == $1 && $3 >= 80); f += ($2 != $1 && $2 != "-" && $3 >= 80) }
		END { print h, f }' "$name.tsv"
}

test_expect_success 'the dev protocol: 32 hits and no false match in both precisions' '
	test "$(protocol auto)" = "32 0" &&
	test "$(protocol fp32 --precision fp32)" = "32 0"
'

# on a CPU with an int8 kernel the two precisions give different similarities,
# so the comparisons below tell which one ran
test_expect_success 'identify follows the setting unless --precision is given' '
	if jq -en "$(max_dist auto.json fp32.json) > 0" >/dev/null; then
		! cmp -s auto.tsv fp32.tsv
	fi &&
	kf settings set precision fp32 &&
	protocol setting >/dev/null && cmp setting.tsv fp32.tsv &&
	protocol given --precision auto >/dev/null && cmp given.tsv auto.tsv &&
	kf settings set precision auto
'

test_done
