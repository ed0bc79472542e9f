#!/usr/bin/env bash
# detect and identify take any number of images: on the command line and with
# --from FILE (- : standard input), one path a line. Symlinks to one 16x16
# photo, the tiny detector at its smallest input: about 10 ms a photo under
# ASan (identify about 40 ms: it searches again on a padded canvas).
. "$(dirname "$0")/lib.sh"

fast='--tiles off --detector tiny --tiny-size 128 --json'
mkdir photos gallery &&
cp "$KF_SOURCE_DIR/tests/fuzz/corpus/image/rgb_16x16_420.jpg" gallery/small.jpg &&
for i in $(seq 1000); do ln -s ../gallery/small.jpg "photos/photo $i.jpg"; done
printf "%s\n" photos/*.jpg >list

# answers_all FILE N: FILE's JSON answers the first N paths of list, in order
answers_all() {
	jq -r '.images[] | select(has("width")) | .path' "$1" >paths &&
	head -n "$2" list >want && test_cmp want paths
}

test_expect_success '1,000 images as arguments' '
	kf detect $fast photos/*.jpg >out && answers_all out 1000
'

test_expect_success '1,000 images from standard input (--from -), paths with spaces' '
	kf detect $fast --from - <list >out && answers_all out 1000
'

test_expect_success '--from FILE comes after the arguments; blank lines and CRs are skipped' '
	{ echo; sed -n 2p list | sed "s/\$/\r/"; echo "  "; } >few &&
	kf detect $fast "$(head -n 1 list)" --from few >out && answers_all out 2
'

test_expect_success '--from FILE missing: a usage error naming it' '
	test_expect_code_inline 2 kf detect $fast --from nowhere.txt &&
	! kf detect --from nowhere.txt 2>err && test_grep err "nowhere.txt"
'

test_expect_success 'an empty list is missing arguments' '
	! kf detect $fast --from /dev/null 2>err && test_grep err "missing arguments"
'

test_expect_success 'identify GALLERY with 100 images, as arguments and with --from' '
	kf gallery import gallery --name g >/dev/null &&
	mapfile -t some < <(head -n 100 list) &&
	kf identify g $fast "${some[@]}" >out && answers_all out 100 &&
	head -n 100 list | kf identify g $fast --from - >out && answers_all out 100
'

test_done
