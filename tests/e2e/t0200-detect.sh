#!/usr/bin/env bash
# kingface detect: JSON shape, per-image errors, options, models lookup.
. "$(dirname "$0")/lib.sh"

demo_photos photos
echo "not an image" >photos/bad.jpg
head -c 20000 photos/sample1.jpg >photos/truncated.jpg

test_expect_success 'faces with pixel boxes and Rekognition fractions' '
	kf detect photos/sample1.jpg --tiles off --json >out &&
	test "$(jq -r ".images[0].path" out)" = photos/sample1.jpg &&
	test "$(jq ".images[0].width" out)" = 1920 && test "$(jq ".images[0].height" out)" = 1280 &&
	test "$(jq ".images[0].orientation" out)" = 1 &&
	test "$(jq -r ".images[0].detector" out)" = yunet &&
	test "$(jq ".images[0].faces | length" out)" = 3 &&
	jq -e ".images[0].faces[] | (.rawBox | has(\"width\")) and (.landmarks5 | length) == 5" out &&
	jq -e ".images[0].faces[0] | .score > 0.9 and (.box | has(\"x\") and has(\"y\") and has(\"width\") and has(\"height\"))" out &&
	jq -e ".images[0].faces[] | (.boundingBox.Left - .box.x / 1920 | fabs) < 0.0001" out &&
	jq -e ".images[0].faces[] | (.boundingBox.Height - .box.height / 1280 | fabs) < 0.0001" out &&
	jq -e "[.images[0].faces[].score] | . == (sort | reverse)" out
'

test_expect_success 'face-api SSD: no rawBox, the same faces' '
	kf detect photos/sample1.jpg --detector ssd --tiles off --json >ssd &&
	test "$(jq -r ".images[0].detector" ssd)" = ssd &&
	test "$(jq ".images[0].faces | length" ssd)" = 3 &&
	jq -e ".images[0].faces | all(has(\"rawBox\") | not)" ssd
'

test_expect_success 'the tiny detector and --max-faces' '
	kf detect photos/sample5.jpg --detector tiny --tiles off --json >out &&
	test "$(jq -r ".images[0].detector" out)" = tiny &&
	kf detect photos/sample5.jpg --max-faces 2 --tiles off --json >out &&
	test "$(jq ".images[0].faces | length" out)" = 2
'

test_expect_code 1 'an unreadable image makes the exit status 1' \
	'kf detect photos/sample2.jpg photos/bad.jpg --tiles off --json'

test_expect_success 'bad images get an error entry and the others are still processed' '
	! kf detect photos/bad.jpg photos/sample2.jpg photos/truncated.jpg --tiles off --json >out &&
	test "$(jq -r ".images[0].error" out)" = "not a JPEG or PNG file" &&
	test "$(jq ".images[1].faces | length" out)" = 3 &&
	jq -r ".images[2].error" out | grep -i "premature end"
'

test_expect_success 'a missing file is an error naming it' '
	! kf detect nowhere.jpg 2>err && test_grep err "nowhere.jpg"
'

test_expect_code 2 'a bad option value is a usage error' 'kf detect photos/sample1.jpg --detector yolo'
test_expect_code 2 'a tiny size that is not a multiple of 32' 'kf detect photos/sample1.jpg --tiny-size 400'

test_expect_success 'models not found: the error names the fix' '
	! KINGFACE_MODELS=$TRASH kf detect photos/sample1.jpg 2>err &&
	test_grep err "KINGFACE_MODELS" &&
	! kf detect photos/sample1.jpg --models "$TRASH" 2>err && test_grep err "--models"
'

test_done
