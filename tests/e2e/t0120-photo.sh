#!/usr/bin/env bash
# photo list: status filter and paging.
. "$(dirname "$0")/lib.sh"

demo_photos g && echo x >g/bad.png && kf gallery import g >/dev/null

test_expect_success 'paging returns total, page and limit' '
	kf photo list g --page 2 --limit 3 --json >out &&
	test "$(jq .total out)" = 7 && test "$(jq .page out)" = 2 && test "$(jq .limit out)" = 3 &&
	test "$(jq ".photos | length" out)" = 3 &&
	test "$(jq -r ".photos[0].key" out)" = sample3.jpg &&
	kf photo list g --page 3 --limit 3 --json | jq -e ".photos | length == 1"
'

test_expect_success 'filter by status' '
	test "$(kf photo list g --status pending --json | jq .total)" = 6 &&
	test "$(kf photo list g --status failed --json | jq .total)" = 1 &&
	test "$(kf photo list g --status done --json | jq .total)" = 0
'

test_expect_code 2 'a bad status is a usage error' 'kf photo list g --status weird'
test_expect_code 2 'page 0 is a usage error' 'kf photo list g --page 0'
test_expect_code 2 'a limit over 500 is a usage error' 'kf photo list g --limit 501'
test_expect_code 2 'a limit that is not a number is a usage error' 'kf photo list g --limit ten'

test_expect_success 'plain output shows status, size and reason' '
	kf photo list g >out && test_grep out "not a JPEG or PNG file" &&
	test_grep out "1920x1280" && test_grep out "7 photo(s), page 1 of 1"
'

test_done
