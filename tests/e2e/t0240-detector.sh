#!/usr/bin/env bash
# A gallery's detector (docs/engines.md, "Detectors"): the first results set
# it, status and gallery show it, --detector naming another one is refused
# with the switch command, `gallery detector` switches (results and cache
# dropped, photos queued again), a worker for every gallery uses each one's.
# And faces too small to recognise: reported,
# never matched, "too small to recognise" in detail.
. "$(dirname "$0")/lib.sh"

D="$KF_TEST_DATA/datasets/dev/identities"
mkdir g && cp "$KF_TEST_DEMO"/sample1.jpg "$KF_TEST_DEMO"/sample2.jpg g/
kf gallery import g >/dev/null
kf client add g Ana >/dev/null && kf enroll g Ana g/sample1.jpg --face 0 >/dev/null
M="--tiles off"

test_expect_success 'a new gallery has no detector yet' '
	kf status g --json >st && jq -e ".detector == null" st &&
	kf gallery show g --json | jq -e ".detector == null"
'

test_expect_success 'process with the default: the gallery is yunet'"'"'s' '
	kf process g $M --json >p1 && jq -e ".processed == 2" p1 &&
	kf status g --json >st && jq -e ".detector == \"yunet\" and .done == 2" st &&
	kf status g >st.txt && test_grep st.txt "detector yunet" &&
	kf gallery list --json | jq -e ".galleries[0].detector == \"yunet\"" &&
	kf match g sample1.jpg --json | jq -e ".detector == \"yunet\" and .cached"
'

test_expect_success '--detector naming another detector is refused with the switch command' '
	! kf process g --detector ssd $M 2>err && test_grep err "kingface gallery detector g ssd" &&
	! kf match g sample1.jpg --detector ssd 2>err &&
	test_grep err "kingface gallery detector g ssd" &&
	kf status g --json | jq -e ".detector == \"yunet\" and .done == 2" &&
	kf process g --detector yunet $M --json | jq -e ".total == 0"
'

test_expect_code 2 'switching needs --yes without a terminal' '
	kf gallery detector g ssd </dev/null
'

test_expect_success 'gallery detector G ssd --yes drops the results and queues every photo' '
	kf gallery detector g ssd --yes --json >sw 2>sw.err && cat sw.err &&
	test_grep sw.err "2 photo(s) will be processed again" &&
	jq -e ".detector == \"ssd\" and .requeued == 2" sw &&
	kf status g --json >st &&
	jq -e ".detector == \"ssd\" and .faces == 0 and .matches == 0 and .pending == 2" st &&
	kf gallery detector g --json | jq -e ".detector == \"ssd\" and .requeued == 0"
'

test_expect_success 'process again: ssd results, nothing from the old cache' '
	kf process g $M --json >p2 && jq -e ".processed == 2 and .cached == 0" p2 &&
	kf status g --json >st && jq -e ".detector == \"ssd\" and .done == 2 and .faces > 0" st &&
	kf match g sample1.jpg --json >m && jq -e ".detector == \"ssd\" and .cached" m &&
	jq -e "[.matches[] | select(.clientName == \"Ana\")] | length == 1" m
'

# one face pasted small (about 37 px wide) on a grey photo, one large
mkdir s &&
"$KF_TOOL_SMALLFACES" --paste 640 480 "$D/leonard/leonard2.png" 40 300 200 s/small.jpg &&
"$KF_TOOL_SMALLFACES" --paste 640 480 "$D/leonard/leonard2.png" 0 240 160 s/large.jpg
kf gallery import s >/dev/null && kf client add s Leonard >/dev/null &&
kf enroll s Leonard "$D/leonard/leonard1.png" >/dev/null

test_expect_success 'a small face is found but not recognised' '
	kf detect s/small.jpg --json >d &&
	jq -e ".images[0].faces | length == 1 and (.[0].box.width < 47) and
		(.[0].recognizable == false)" d &&
	kf process s --json >/dev/null &&
	kf match s small.jpg --json >m &&
	jq -e ".faceCount == 1 and .faces[0].recognizable == false and (.matches | length) == 0" m &&
	kf detail s small.jpg --json >dj &&
	jq -e ".faces[0].recognizable == false and .faces[0].bestBelow == null and
		(.faces[0].matches | length) == 0 and (.faces[0] | has(\"bestBelowNote\") | not)" dj &&
	kf detail s small.jpg >dt && test_grep dt "too small to recognise" &&
	kf identify s s/small.jpg --threshold 0 --json >id &&
	jq -e ".images[0].faces[0].recognizable == false and
		(.images[0].faces[0].matches | length) == 0" id &&
	kf identify s s/small.jpg >it && test_grep it "too small to recognise"
'

test_expect_success 'the same face large is recognised' '
	kf detail s large.jpg --json >dj &&
	jq -e ".faces[0].recognizable == true and .faces[0].matches[0].clientName == \"Leonard\"" dj &&
	kf identify s s/small.jpg --any-size --json | jq -e ".images[0].faces[0].recognizable"
'

test_expect_success 'a face too small to recognise cannot be enrolled' '
	! kf enroll s Leonard s/small.jpg --force 2>err && test_grep err "too small to recognise" &&
	! kf enroll s Leonard --photo small.jpg --face 0 2>err &&
	test_grep err "too small to recognise"
'

test_expect_success 'a worker for every gallery runs each gallery'"'"'s detector' '
	kf gallery detector g yunet --yes >/dev/null 2>&1 &&
	kf gallery detector s ssd --yes >/dev/null 2>&1 &&
	kf worker --exit-when-empty $M >/dev/null 2>&1 &&
	kf status g --json | jq -e ".detector == \"yunet\" and .done == 2" &&
	kf status s --json | jq -e ".detector == \"ssd\" and .done == 2" &&
	kf match g sample2.jpg --json | jq -e ".detector == \"yunet\" and .cached" &&
	kf match s large.jpg --json | jq -e ".detector == \"ssd\" and .cached"
'

test_done
