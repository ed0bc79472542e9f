#!/usr/bin/env bash
# A platform gallery whose photos are in the bucket only: pull lists their
# ETags, processing downloads them once into the photo cache, later runs work
# offline, a changed object is processed again, a wrong secret is named.
# fixtures: pg s3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-s3.sh"

s3_env
URL=$(pg_test_db t0515 demo) || exit 1
B=$(s3_bucket t0515)
s3_mkbucket "$B"
for i in 1 2 3 4 5 6; do
	s3_put "$B" "galleries/1/sample$i.jpg" "$KF_TEST_DEMO/sample$i.jpg"
done
s3_put "$B" "galleries/2/other.jpg" "$KF_TEST_DEMO/sample1.jpg"
M="--tiles off"

test_expect_success 'pull with --bucket: the photos and their ETags from the listing' '
	kf gallery pull 1 --pg "$URL" --bucket "$B" --json >pull &&
	jq -e ".photos == 6 and .photosInFolder == 0 and .bucketListed and .bucketNote == null" pull &&
	kf photo list 1 --json >pl &&
	test "$(jq -r ".photos[] | select(.key == \"galleries/1/sample3.jpg\") | .etag" pl)" = \
		"$(md5sum <"$KF_TEST_DEMO/sample3.jpg" | cut -c1-32)"
'

test_expect_success 'process: each photo downloaded once, matched, and synced' '
	kf enroll 1 "Ana Souza" "$KF_TEST_DEMO/sample1.jpg" --face 0 >/dev/null &&
	before=$(s3_count "$B") &&
	kf process 1 $M >/dev/null &&
	test "$(($(s3_count "$B") - before))" = 6 &&
	kf status 1 --json | jq -e ".done == 6 and .matches >= 1" &&
	kf sync --pg "$URL" >/dev/null &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_photo_jobs WHERE process_status = '\''done'\''")" = 6
'

test_expect_success 'offline: processing again reads the photo cache, no request' '
	before=$(s3_count "$B") &&
	AWS_ENDPOINT_URL=http://127.0.0.1:1 kf process 1 --all --no-cache $M >/dev/null &&
	test "$(s3_count "$B")" = "$before" &&
	kf status 1 --json | jq -e ".done == 6"
'

test_expect_success 'export: photos only in the bucket come from the photo cache, offline' '
	AWS_ENDPOINT_URL=http://127.0.0.1:1 kf export 1 --to delivered --json >ex &&
	jq -e ".photos >= 1 and .linked + .copied == .photos" ex &&
	kf results 1 --client "Ana Souza" --json | jq -r ".photos[].key" >keys &&
	while read -r k; do
		cmp "delivered/Ana Souza/${k##*/}" "$KF_TEST_DEMO/${k##*/}" || return 1
	done <keys
'

test_expect_success 'pull offline: the gallery stays usable, the bucket note says why' '
	AWS_ENDPOINT_URL=http://127.0.0.1:1 kf gallery pull 1 --pg "$URL" --json >p2 &&
	jq -e ".bucketListed == false and (.bucketNote | length > 0) and .photosChanged == 0" p2
'

test_expect_success 'a changed object: new ETag at the next sync, processed again' '
	s3_put "$B" galleries/1/sample2.jpg "$KF_TEST_DEMO/sample5.jpg" &&
	kf sync --pg "$URL" --json >s1 && jq -e ".[0].pulled.photosChanged == 1" s1 &&
	kf status 1 --json | jq -e ".pending == 1" &&
	kf process 1 $M >/dev/null &&
	n=$(kf detect "$KF_TEST_DEMO/sample5.jpg" --json | jq ".images[0].faces | length") &&
	test "$n" -ge 5 && kf detail 1 galleries/1/sample2.jpg --json | jq -e ".faces | length == $n" &&
	kf sync --pg "$URL" >/dev/null &&
	test "$(pg_q "$URL" "SELECT r2_etag FROM rekognition_photo_jobs j JOIN king_photos p
		ON p.id = j.photo_id WHERE p.file_path = '\''galleries/1/sample2.jpg'\''")" = \
		"$(md5sum <"$KF_TEST_DEMO/sample5.jpg" | cut -c1-32)"
'

test_expect_success 'a wrong secret: the pull says which setting, never the secret' '
	AWS_SECRET_ACCESS_KEY=wr0ng-s3cret-value kf gallery pull 1 --pg "$URL" --json >p3 &&
	jq -r .bucketNote p3 >note && test_grep note AWS_SECRET_ACCESS_KEY &&
	! grep -q wr0ng-s3cret-value p3
'

test_expect_success 'platform workers fetch the bucket photos too' '
	kf queue 1 --pg "$URL" --all >/dev/null &&
	rm -rf "$TRASH/photo-cache" &&
	before=$(s3_count "$B") &&
	kf worker --pg "$URL" --bucket "$B" --exit-when-empty --no-cache $M >w.out &&
	# 5 downloads: sample2.jpg now holds sample5.jpg, and the cache is by ETag
	test "$(($(s3_count "$B") - before))" = 5 &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_photo_jobs WHERE process_status = '\''done'\''")" = 6 &&
	test "$(pg_q "$URL" "SELECT r2_etag FROM rekognition_photo_jobs j JOIN king_photos p
		ON p.id = j.photo_id WHERE p.file_path = '\''galleries/1/sample3.jpg'\''")" = \
		"$(md5sum <"$KF_TEST_DEMO/sample3.jpg" | cut -c1-32)"
'

test_done
