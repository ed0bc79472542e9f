#!/usr/bin/env bash
# gallery import / list / show / remove, incremental re-import.
. "$(dirname "$0")/lib.sh"

demo_photos photos
mkdir -p photos/day2 && mv photos/sample6.jpg photos/day2/ && mv photos/sample5.jpg photos/day2/S5.JPEG
echo "not a photo" >photos/notes.txt
echo "garbage" >photos/broken.jpg

test_expect_success 'import a folder recursively with counts' '
	kf gallery import photos --json >out &&
	test "$(jq .added out)" = 7 && test "$(jq .skipped out)" = 1 &&
	test "$(jq .failed out)" = 1 && test "$(jq .created out)" = true &&
	test "$(jq -r .name out)" = photos
'

test_expect_success 'keys are paths relative to the folder; dimensions come from the header' '
	kf photo list photos --json >out &&
	jq -r ".photos[].key" out >keys &&
	printf "%s\n" broken.jpg day2/S5.JPEG day2/sample6.jpg sample1.jpg sample2.jpg \
		sample3.jpg sample4.jpg >expect && test_cmp expect keys &&
	test "$(jq -r ".photos[] | select(.key==\"sample1.jpg\") | \"\(.width)x\(.height)\"" out)" = 1920x1280 &&
	test "$(jq -r ".photos[] | select(.key==\"sample1.jpg\") | .etag" out)" = "$(md5sum photos/sample1.jpg | cut -d" " -f1)"
'

test_expect_success 'a .jpg that is not a JPEG is a failed photo with the reason' '
	kf photo list photos --status failed --json >out &&
	test "$(jq .total out)" = 1 &&
	test "$(jq -r ".photos[0].error" out)" = "not a JPEG or PNG file"
'

test_expect_success 'importing again changes nothing' '
	kf gallery import photos --json >out &&
	test "$(jq .added out)" = 0 && test "$(jq .unchanged out)" = 7 && test "$(jq .changed out)" = 0
'

test_expect_success 'changed, touched, removed and new files' '
	old=$(kf photo list photos --json | jq -r ".photos[] | select(.key==\"sample2.jpg\") | .etag") &&
	cp photos/sample3.jpg photos/sample2.jpg && touch -d "2001-01-01" photos/sample1.jpg &&
	rm photos/sample4.jpg && cp photos/sample3.jpg photos/new.jpg &&
	kf gallery import photos --json >out &&
	test "$(jq .added out)" = 1 && test "$(jq .changed out)" = 1 &&
	test "$(jq .removed out)" = 1 && test "$(jq .unchanged out)" = 5 &&
	new=$(kf photo list photos --json | jq -r ".photos[] | select(.key==\"sample2.jpg\") | .etag") &&
	test "$old" != "$new" &&
	kf photo list photos --json | jq -e ".photos[] | select(.key==\"sample4.jpg\") | .missing" &&
	kf photo list photos --status missing --json | jq -e "[.photos[].key] == [\"sample4.jpg\"]" &&
	rm photos/new.jpg && kf gallery import photos >out &&
	test_grep out "1 photo(s) gone from the folder: kept with their results" &&
	kf photo list photos --status missing >out && test_grep out "2 photo(s) missing"
'

test_expect_success 'a folder imported under a name: importing it again without --name finds it' '
	mkdir w && cp photos/sample1.jpg w/ &&
	kf gallery import w --name "  Wedding 0412 " --json >out &&
	jq -e ".name == \"Wedding 0412\" and .created" out &&
	kf gallery import w --json >out && jq -e ".name == \"Wedding 0412\" and .created == false" out &&
	kf gallery import w --name second >/dev/null &&
	! kf gallery import w 2>err && test_grep err "both import" && test_grep err "--name" &&
	test_expect_code_inline 2 kf gallery import w --name "   " &&
	! kf gallery import w --name "$(printf "a\tb")" 2>err && test_grep err "control character" &&
	kf gallery remove second --yes >/dev/null && kf gallery remove "Wedding 0412" --yes >/dev/null
'

test_expect_success 'gallery rename: the results stay, the folder finds it under its new name' '
	mkdir r && cp photos/sample1.jpg r/ && kf gallery import r >/dev/null &&
	kf gallery rename r " Wedding 2026 " >out && test_grep out "renamed gallery '\''r'\'' to '\''Wedding 2026'\''" &&
	kf gallery import r --json | jq -e ".name == \"Wedding 2026\" and .created == false" &&
	! kf gallery rename "Wedding 2026" photos 2>err && test_grep err "already exists" &&
	! kf gallery rename "Wedding 2026" " PHOTOS_" 2>err &&
	test_grep err "the same name but for case" &&
	kf gallery import r --name "wedding  2026" --json | jq -e ".name == \"Wedding 2026\" and .created == false" &&
	kf status "WEDDING_2026" >/dev/null &&
	test_expect_code_inline 2 kf gallery rename "Wedding 2026" "" &&
	kf gallery rename "Wedding 2026" r2 --json | jq -e ".name == \"r2\" and .oldName == \"Wedding 2026\"" &&
	kf gallery remove r2 --yes >/dev/null
'

# kingface as a user the permissions apply to (root reads any folder): nobody
as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp \
			"$KINGFACE" --db "$TRASH/udb/k.db" "$@"
	else
		"$KINGFACE" --db "$TRASH/udb/k.db" "$@"
	fi
}

test_expect_success 'a subfolder that cannot be read: the rest imported, its photos left as they were' '
	if [ "$(id -u)" = 0 ] && ! { id nobody && command -v setpriv; } >/dev/null 2>&1; then
		say "# skipped: root without a user nobody or setpriv"; return 0
	fi &&
	mkdir -p udb lock/day1 lock/private && cp photos/sample1.jpg lock/day1/ &&
	cp photos/sample2.jpg lock/private/ &&
	if [ "$(id -u)" = 0 ]; then chmod 0755 "$TRASH" && chown -R nobody udb lock; fi &&
	as_user gallery import "$TRASH/lock" --json | jq -e ".added == 2 and .unreadable == 0" &&
	chmod 000 lock/private && cp photos/sample3.jpg lock/day1/ &&
	as_user gallery import "$TRASH/lock" >out; rc=$?; chmod 755 lock/private && test $rc = 0 &&
	cat out && test_grep out "1 added" &&
	test_grep out "1 folder(s) cannot be read, their photos left as they were: '\''private'\'': Permission denied" &&
	as_user photo list lock --status missing --json | jq -e ".total == 0"
'

test_expect_success 'the same name for another folder is refused with the fix' '
	mkdir other && cp photos/sample1.jpg other/ &&
	! kf gallery import other --name photos 2>err &&
	test_grep err "imports from" && test_grep err "--name"
'

test_expect_success 'an empty folder makes an empty gallery' '
	mkdir empty && kf gallery import empty >out && kf gallery show empty --json >out &&
	test "$(jq .photos out)" = 0
'

test_expect_success 'gallery list and show, by name and by id' '
	kf gallery list --json >out &&
	test "$(jq ".galleries | length" out)" = 2 &&
	id=$(jq ".galleries[] | select(.name==\"photos\") | .id" out) &&
	kf gallery show "$id" --json >a && kf gallery show photos --json >b && test_cmp a b &&
	test "$(jq .photos a)" = 8 && test "$(jq .failed a)" = 1 && test "$(jq .missing a)" = 2 &&
	kf gallery list >out && test_grep out photos
'

test_expect_code 1 'a missing folder is an error' 'kf gallery import nowhere'
test_expect_success 'the missing folder error names it' '
	! kf gallery import nowhere 2>err && test_grep err "cannot read folder '\''nowhere'\''"
'

test_expect_success 'gallery remove needs confirmation, then removes everything' '
	! kf gallery remove empty </dev/null 2>err && test_grep err "--yes" &&
	kf gallery remove empty --yes >out && test_grep out "removed gallery" &&
	! kf gallery show empty 2>err && test_grep err "no gallery"
'

test_done
