#!/usr/bin/env bash
# S3 galleries against the loopback S3 (s3rver behind a SigV4-checking gate):
# paged listings, import, processing through the photo cache, offline runs,
# changed and removed objects, retries, and errors that name the setting to
# fix without ever showing a secret.
# fixtures: s3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-s3.sh"

s3_env
B=$(s3_bucket t0500)
s3_mkbucket "$B"
M="--tiles off"
S="$KF_TEST_DEMO"
printf 'not a photo\n' >notes.txt
for i in $(seq -w 1 25); do
	s3_put "$B" "pages/day 1/p$i.JPG" notes.txt
done
s3_put "$B" "pages/day 1/notes.txt" notes.txt
s3_put "$B" "pages/day 10/outside.jpg" notes.txt
s3_put "$B" "shoot/a/sample1.jpg" "$S/sample1.jpg"
s3_put "$B" "shoot/a/sample2.jpg" "$S/sample2.jpg"
s3_put "$B" "shoot/b/sample3.jpg" "$S/sample3.jpg"

test_expect_success 'a prefix of 25 photos in pages of 10: 3 signed requests, all keys' '
	before=$(s3_count "$B") &&
	KINGFACE_S3_PAGE_SIZE=10 kf gallery import "s3://$B/pages/day 1/" --json >imp &&
	test "$(($(s3_count "$B") - before))" = 3 &&
	jq -e ".created and .added == 25 and .skipped == 1 and .photos == 25" imp &&
	jq -e ".name == \"day 1\" and .source == \"s3://$B/pages/day 1/\"" imp &&
	kf photo list "day 1" --limit 100 --json >pl &&
	test "$(jq -r ".photos[0].key" pl)" = "pages/day 1/p01.JPG" &&
	jq -e "[.photos[] | .etag == \"$(md5sum <notes.txt | cut -c1-32)\"] | all" pl
'

test_expect_success 'importing again: everything unchanged' '
	KINGFACE_S3_PAGE_SIZE=7 kf gallery import "s3://$B/pages/day 1/" --json >imp2 &&
	jq -e ".created == false and .unchanged == 25 and .added == 0 and .changed == 0" imp2
'

test_expect_success 'import a bucket prefix; process downloads and matches' '
	kf gallery import "s3://$B/shoot/" --json >imp &&
	jq -e ".name == \"shoot\" and .added == 3" imp &&
	kf client add shoot Ana >/dev/null &&
	kf enroll shoot Ana "$S/sample1.jpg" --face 0 >/dev/null &&
	kf process shoot $M --json >run && cat run &&
	jq -e ".processed == 3" run &&
	kf status shoot --json | jq -e ".done == 3 and .faces == 9" &&
	kf results shoot --client Ana --json >res &&
	jq -e "[.photos[] | select(.key == \"shoot/a/sample1.jpg\")] | length == 1" res &&
	test "$(find photo-cache -type f -name "*.jpg" | wc -l)" = 3 &&
	test -f "photo-cache/$(md5sum <"$S/sample2.jpg" | cut -c1-2)/$(md5sum <"$S/sample2.jpg" | cut -c1-32).jpg"
'

test_expect_success 'offline: with the endpoint closed, the photo cache answers' '
	before=$(s3_count "$B") &&
	AWS_ENDPOINT_URL=http://127.0.0.1:1 kf match shoot shoot/a/sample2.jpg $M --no-cache \
		--json >m && jq -e ".cached == false and .faceCount == 3" m &&
	AWS_ENDPOINT_URL=http://127.0.0.1:1 kf process shoot $M --all --json >run &&
	jq -e ".total == 3 and .cached == 3" run &&
	(unset AWS_SECRET_ACCESS_KEY; kf match shoot shoot/b/sample3.jpg $M --no-cache >/dev/null) &&
	test "$(s3_count "$B")" = "$before"
'

test_expect_success 'a changed object: new ETag on re-import, processed again' '
	s3_put "$B" "shoot/a/sample2.jpg" "$S/sample5.jpg" &&
	kf gallery import "s3://$B/shoot/" --json >imp &&
	jq -e ".changed == 1 and .unchanged == 2" imp &&
	kf process shoot $M --json >run && jq -e ".processed == 1" run &&
	n=$(kf detect "$S/sample5.jpg" --json | jq ".images[0].faces | length") && test "$n" -ge 5 &&
	kf detail shoot shoot/a/sample2.jpg --json | jq -e "(.faces | length) == $n" &&
	test "$(kf photo list shoot --json | jq -r ".photos[] | select(.key == \"shoot/a/sample2.jpg\") | .etag")" = \
		"$(md5sum <"$S/sample5.jpg" | cut -c1-32)"
'

test_expect_success 'changed in the bucket, not re-imported: the download brings the new ETag' '
	s3_put "$B" "shoot/b/sample3.jpg" "$S/sample4.jpg" &&
	rm -rf photo-cache &&
	kf match shoot shoot/b/sample3.jpg $M --json >m &&
	jq -e ".cached == false and .faceCount == 4" m &&
	test "$(kf photo list shoot --json | jq -r ".photos[] | select(.key == \"shoot/b/sample3.jpg\") | .etag")" = \
		"$(md5sum <"$S/sample4.jpg" | cut -c1-32)"
'

test_expect_success 'an object gone from the bucket is marked missing' '
	s3_rm "$B" "shoot/b/sample3.jpg" &&
	kf gallery import "s3://$B/shoot/" --json >imp &&
	jq -e ".removed == 1 and .unchanged == 2" imp &&
	kf gallery show shoot --json | jq -e ".missing == 1"
'

test_expect_success 'a wrong secret: the error names AWS_SECRET_ACCESS_KEY, never the secret' '
	bad="wrong-$KF_TEST_S3_SECRET-x" &&
	! AWS_SECRET_ACCESS_KEY="$bad" kf gallery import "s3://$B/shoot/" >out 2>err &&
	test_grep err "AWS_SECRET_ACCESS_KEY" && test_grep err "SignatureDoesNotMatch" &&
	! grep -qF -e "$bad" -e "$KF_TEST_S3_SECRET" err out &&
	! AWS_ACCESS_KEY_ID=AKIDNOBODY kf gallery import "s3://$B/shoot/" 2>err &&
	test_grep err "AWS_ACCESS_KEY_ID" && test_grep err "InvalidAccessKeyId" &&
	! grep -qF "$KF_TEST_S3_SECRET" err
'

test_expect_success 'a wrong secret when downloading fails the photo with the reason' '
	rm -rf photo-cache && bad="bad-secret-$$" &&
	! AWS_SECRET_ACCESS_KEY="$bad" kf match shoot shoot/a/sample1.jpg $M --no-cache 2>err &&
	test_grep err "AWS_SECRET_ACCESS_KEY" && ! grep -qF "$bad" err &&
	kf photo list shoot --status failed --json >f &&
	jq -e ".photos[0].key == \"shoot/a/sample1.jpg\" and (.photos[0].error | test(\"AWS_SECRET_ACCESS_KEY\"))" f &&
	! grep -qF "$bad" f
'

test_expect_success 'missing settings are named with how to set them' '
	rm -rf photo-cache &&
	! (unset AWS_SECRET_ACCESS_KEY; kf match shoot shoot/a/sample1.jpg $M 2>err) &&
	test_grep err "AWS_SECRET_ACCESS_KEY is not set" && test_grep err "export" &&
	! (unset AWS_ENDPOINT_URL; kf gallery import "s3://$B/shoot/" 2>err) &&
	test_grep err "AWS_ENDPOINT_URL is not set" &&
	! kf gallery import "s3://NO_bucket/x" 2>err && test_grep err "bad bucket name"
'

test_expect_success '5xx answers are retried, 4xx are not' '
	s3_fail "$B" 2 503 && before=$(s3_count "$B") &&
	kf gallery import "s3://$B/shoot/" --json | jq -e ".unchanged == 2" &&
	test "$(($(s3_count "$B") - before))" = 3 &&
	s3_fail "$B" 9 500 && before=$(s3_count "$B") &&
	! kf gallery import "s3://$B/shoot/" 2>err && test_grep err "HTTP 500" &&
	test "$(($(s3_count "$B") - before))" = 4 && s3_fail "$B" 0 &&
	nb=$(s3_bucket none) &&
	! kf gallery import "s3://$nb/x/" 2>err && test_grep err "NoSuchBucket" &&
	test "$(s3_count "$nb")" = 1
'

test_expect_success 'umask 000: the photo cache, its folders and files are private' '
	rm -rf photo-cache &&
	(umask 000 && kf match shoot shoot/a/sample1.jpg $M --no-cache >/dev/null) &&
	find photo-cache -exec stat -c "%a %n" {} + &&
	test "$(find photo-cache -type f | wc -l)" = 1 &&
	! find photo-cache \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) | grep .
'

test_done
