# lib-s3.sh: helpers for the tests that talk to the loopback S3 (fixture s3,
# tests/servers/s3.sh). Source it after lib.sh.
#   s3_env                   export AWS_* for kingface from the KF_TEST_S3_* variables
#   s3_bucket NAME           a bucket name unique to this test run (parallel tests)
#   s3_mkbucket BUCKET       create a bucket
#   s3_put BUCKET KEY FILE   upload a file
#   s3_rm BUCKET KEY         delete an object
#   s3_fail BUCKET N [S]     the gate answers HTTP S (503) to the next N requests
#   s3_count BUCKET          requests the gate has seen for BUCKET
: "${KF_TEST_S3_ENDPOINT:?run through ctest with the s3 fixture}"
: "${KF_SERVERS_DIR:?}"

S3CTL="$KF_SERVERS_DIR/s3/s3ctl.mjs"

s3_env() {
	export AWS_ENDPOINT_URL="$KF_TEST_S3_ENDPOINT" AWS_REGION="$KF_TEST_S3_REGION"
	export AWS_ACCESS_KEY_ID="$KF_TEST_S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$KF_TEST_S3_SECRET"
	export KINGFACE_PHOTO_CACHE="$TRASH/photo-cache" KINGFACE_S3_BACKOFF_MS=5
	unset KINGFACE_BUCKET KINGFACE_PHOTO_CACHE_MB KINGFACE_S3_PAGE_SIZE
}

s3_bucket() {
	printf 'kf-%s-%s-%s\n' "$1" "$$" "$(date +%s%N | tail -c 7)"
}

s3ctl() {
	node "$S3CTL" "$@"
}

s3_mkbucket() { s3ctl mkbucket "$1"; }
s3_put() { s3ctl put "$1" "$2" "$3"; }
s3_rm() { s3ctl rm "$1" "$2"; }

s3_fail() {
	curl -sf -X POST "$KF_TEST_S3_ENDPOINT/__kf/fail?bucket=$1&n=$2&status=${3:-503}"
}

s3_count() {
	curl -sf "$KF_TEST_S3_ENDPOINT/__kf/count?bucket=$1" | jq .count
}
