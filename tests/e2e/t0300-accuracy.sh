#!/usr/bin/env bash
# The accuracy protocol of tests/data/datasets (README): enroll each identity from
# its photo #1, identify the 32 others; at threshold 80 at least 30 hits and no
# false match (a probe given another person). Prints the hits, false matches
# and ambiguous probes (core/assign.h: no match, candidates shown) at 75, 80
# and 85.
. "$(dirname "$0")/lib.sh"

D="$KF_TEST_DATA/datasets/dev/identities"
people="amy bernadette howard leonard penny raj sheldon stuart"
mkdir empty && kf gallery import empty --name dev >/dev/null

test_expect_success 'enroll each identity from its photo #1' '
	for p in $people; do
		kf client add dev "$p" >/dev/null &&
		kf enroll dev "$p" "$D/$p/${p}1.png" --json >enroll.json &&
		jq -e ".clientName == \"$p\"" enroll.json >/dev/null || return 1
	done &&
	test "$(kf client list dev --json | jq "[.clients[].faces] | add")" = 8
'

test_expect_success 'identify the 32 other photos' '
	probes= &&
	for p in $people; do for i in 2 3 4 5; do probes="$probes $D/$p/$p$i.png"; done; done &&
	kf identify dev $probes --threshold 0 --json >id.json &&
	test "$(jq ".images | length" id.json)" = 32
'

# one line per probe: identity, its client (one at most: core/assign.h), that
# client's similarity, the number of candidates when it is ambiguous, and the
# best candidate's similarity. At threshold 0 a probe's client is its best
# (its only face competes with no other), so the hits, false matches and
# ambiguous probes at any threshold t follow from this one run.
jq -r '.images[] | (.path | split("/") | .[-2]) as $id | (.faces[0] // {}) as $f |
	[$id, ($f.matches[0].clientName // "-"), ($f.matches[0].similarity // 0),
	 ($f.ambiguous // [] | length), ($f.ambiguous[0].similarity // 0)] | @tsv' id.json >probes.tsv
for t in 75 80 85; do
	awk -F'\t' -v t=$t '{ h += ($2 == $1 && $3 >= t); f += ($2 != "-" && $2 != $1 && $3 >= t)
		a += ($4 > 0 && $5 >= t) }
		END { printf "threshold %d: %d hits of %d, %d false matches, %d ambiguous\n",
		      t, h, NR, f, a }' probes.tsv
done

test_expect_success 'at threshold 80: at least 30 hits of 32 and no false match' '
	hits=$(awk -F"\t" "\$2 == \$1 && \$3 >= 80" probes.tsv | wc -l) &&
	false=$(awk -F"\t" "\$2 != \"-\" && \$2 != \$1 && \$3 >= 80" probes.tsv | wc -l) &&
	echo "hits $hits, false matches $false" &&
	test "$hits" -ge 30 && test "$false" -eq 0
'

test_done
