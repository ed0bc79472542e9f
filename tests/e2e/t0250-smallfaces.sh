#!/usr/bin/env bash
# The small-face test set (docs/internals/detect.md): studio-sized photos with
# faces of 40-150 px, close-ups, tight crops and turned faces, generated here
# (tests/tools/smallfaces.c) from the demo photos and the dev crops, labelled
# with face-api's boxes. `kingface detect` must find them: recall >= 0.95 and
# precision >= 0.95 at IoU 0.5.
#
# The detector under test: the script's arguments, else $KF_SMALLFACES_OPTS,
# else none (the default detector), e.g.
#   KF_SMALLFACES_OPTS="--detector ssd --tiles off" ctest -R smallfaces -V
#   KINGFACE=build/kingface KF_SOURCE_DIR=$PWD ... bash tests/e2e/t0250-smallfaces.sh --detector tiny
# KF_SMALLFACES_KEEP=DIR keeps the images, labels, detections and the report.
# About 5 s with YuNet, 50 s with SSD and tiles auto (three 24-megapixel photos).
. "$(dirname "$0")/lib.sh"

: "${KF_TOOL_SMALLFACES:?}" "${KF_TOOL_FACEEVAL:?}" "${KF_TEST_DEMO:?}"
if [ $# -gt 0 ]; then opts=("$@"); else read -ra opts <<<"${KF_SMALLFACES_OPTS:-}"; fi
data="$KF_SOURCE_DIR/tests/data"
say "# detector options: ${opts[*]:-(default)}"

test_expect_success 'generate the set' '
	date +%s.%N >t0 &&
	"$KF_TOOL_SMALLFACES" --demo "$KF_TEST_DEMO" --ref "$data/reference" \
		--dev "$data/datasets/dev" --out set &&
	test "$(jq length set/labels.json)" = 10 &&
	test "$(jq "[.[].faces | length] | add" set/labels.json)" = 100
'

test_expect_success 'detect faces in every image' '
	date +%s.%N >t1 &&
	kf detect $(jq -r ".[].image | \"set/\" + ." set/labels.json) ${opts[*]} --json >det.json &&
	date +%s.%N >t2 &&
	test "$(jq "[.images[] | select(.faces)] | length" det.json)" = 10
'

"$KF_TOOL_FACEEVAL" set/labels.json det.json >report.txt
sed 's/^/# /' report.txt
[ -f t2 ] && awk -v a="$(cat t0)" -v b="$(cat t1)" -v c="$(cat t2)" \
	'BEGIN { printf "# generate %.1f s, detect %.1f s (wall)\n", b - a, c - b }' 

test_expect_success 'recall and precision at least 0.95 at IoU 0.5' '
	"$KF_TOOL_FACEEVAL" set/labels.json det.json --min-recall 0.95 --min-precision 0.95 >/dev/null
'

if [ -n "${KF_SMALLFACES_KEEP:-}" ]; then
	mkdir -p "$KF_SMALLFACES_KEEP" && cp -r set det.json report.txt "$KF_SMALLFACES_KEEP"/
fi
test_done
