#!/usr/bin/env bash
# The auto threshold (docs/similarity.md): the default, resolved per gallery from
# its clients' references, changing as clients are enrolled, applied by process
# and rematch, its number in the cache key; the dev protocol at the defaults
# gives every hit and no false match; an explicit threshold wins.
. "$(dirname "$0")/lib.sh"

D="$KF_TEST_DATA/datasets/dev/identities"
people="amy bernadette howard leonard penny raj sheldon stuart"
mkdir photos
for p in $people; do for i in 2 3 4 5; do cp "$D/$p/$p$i.png" photos/; done; done
kf gallery import photos --name dev >/dev/null

threshold() { kf status dev --json | jq -r .threshold.value; }

test_expect_success 'no client yet: auto is the floor, 80' '
	kf status dev >out && test_grep out "threshold 80 (auto, no client enrolled yet)" &&
	kf status dev --json | jq -e ".threshold.mode == \"auto\" and .threshold.value == 80"
'

test_expect_success 'auto follows the enrolled clients' '
	for p in amy bernadette howard leonard; do
		kf client add dev "$p" >/dev/null && kf enroll dev "$p" "$D/$p/${p}1.png" >/dev/null ||
		return 1
	done &&
	threshold >t4 &&
	for p in penny raj sheldon stuart; do
		kf client add dev "$p" >/dev/null && kf enroll dev "$p" "$D/$p/${p}1.png" >/dev/null ||
		return 1
	done &&
	threshold >t8 && cat t4 t8 &&
	! test_cmp t4 t8 &&
	awk "{ exit !(\$1 > 80 && \$1 < 99) }" t8 &&
	kf status dev | grep -E "\(auto, 8 clients: about [0-9.]+ false matches per 1,000" &&
	kf status dev --json | jq -e ".threshold.clients == 8 and .threshold.falseMatchesPer1000 <= 5"
'

test_expect_success 'the dev protocol at the defaults: 32 hits, no false match' '
	kf process dev >/dev/null &&
	for p in $people; do
		kf results dev --client "$p" --json | jq -r ".photos[].key" | sort >got &&
		printf "%s\n" "$p"2.png "$p"3.png "$p"4.png "$p"5.png >want &&
		test_cmp want got || return 1
	done &&
	test "$(kf status dev --json | jq .matches)" = 32
'

test_expect_success 'identify and rematch resolve auto to the same number' '
	kf identify dev photos/amy2.png --json | jq -e ".threshold == $(cat t8)" &&
	kf rematch dev --json | jq -e ".threshold == $(cat t8) and .matches == 32"
'

test_expect_success 'the cache key holds the number in force' '
	kf match dev amy3.png --json | jq -e ".cached == false" &&
	kf match dev amy3.png --json | jq -e ".cached == true" &&
	kf match dev amy3.png --threshold "$(cat t8)" --json | jq -e ".cached == true" &&
	kf match dev amy3.png --threshold 99.9 --json | jq -e ".cached == false"
'

test_expect_success 'an explicit threshold wins, from the option or the setting' '
	kf identify dev photos/amy2.png --threshold 99.99 --json | jq -e ".threshold == 99.99" &&
	kf settings set threshold 85 >/dev/null &&
	kf status dev --json | jq -e ".threshold.mode == \"set\" and .threshold.value == 85" &&
	kf status dev >out && test_grep out "threshold 85 (set; with 8 clients: about" &&
	kf identify dev photos/amy2.png --threshold auto --json | jq -e ".threshold == $(cat t8)"
'

test_done
