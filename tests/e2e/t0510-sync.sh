#!/usr/bin/env bash
# Connected mode: gallery pull, offline work, sync with the platform's
# PostgreSQL (the outbox), a second laptop, and a server stopped mid-sync.
# fixtures: pg
. "$(dirname "$0")/lib.sh"

URL=$(pg_test_db t0510 demo) || exit 1
M="--tiles off"
mkdir -p card/galleries/1 && cp "$KF_TEST_DEMO"/sample*.jpg card/galleries/1/

# local and platform counts: faces, matches, references, done jobs, cache entries
local_counts() {
	kf status 1 --json | jq -r '"\(.faces) \(.matches) \(.done)"'
}
pg_counts() {
	pg_q "$URL" "SELECT (SELECT count(*) FROM rekognition_photo_faces) || ' ' ||
		(SELECT count(*) FROM rekognition_face_matches) || ' ' ||
		(SELECT count(*) FROM rekognition_photo_jobs WHERE process_status = 'done')"
}

test_expect_success 'pull: the platform gallery, its clients and its photos from the card' '
	kf gallery pull 1 --pg "$URL" --photos card --json >pull &&
	jq -e ".created and .clients == 3 and .photos == 6 and .photosInFolder == 6" pull &&
	kf gallery show 1 --json | jq -e ".platformId == 1 and .bucket == null" &&
	kf client list 1 --json | jq -e "[.clients[].name] == [\"Ana Souza\", \"Bruno Lima\", \"Carla Rocha\"]" &&
	kf client list 1 --json | jq -e "[.clients[].externalId] == [\"1\", \"2\", \"3\"]" &&
	test "$(pg_q "$URL" "SELECT count(*) FROM kingface_migrations")" = 2 &&
	! kf gallery rename 1 other 2>err && test_grep err "takes its name from the platform" &&
	! kf client rename 1 "Ana Souza" Ana 2>err && test_grep err "takes its name from the platform"
'

test_expect_success 'enroll and process offline: the outbox holds the changes' '
	export KINGFACE_PG_URL=postgresql://kingface:S3cr3t@127.0.0.1:1/none &&
	kf enroll 1 "Ana Souza" card/galleries/1/sample1.jpg --face 0 >/dev/null &&
	kf enroll 1 "Bruno Lima" card/galleries/1/sample1.jpg --face 1 >/dev/null &&
	kf process 1 $M >/dev/null &&
	kf sync --status --json | jq -e ".[0].pending == 8 and .[0].lastSyncAt == 0" &&
	kf gallery show 1 --json | jq -e ".syncPending == 8" &&
	test_expect_code_inline 1 kf sync &&
	kf sync 2>err; test_grep err "cannot connect to PostgreSQL" &&
	! grep -q S3cr3t err &&
	kf sync --status --json >st && jq -e ".[0].pending == 8 and .[0].lastError != null" st &&
	! grep -q S3cr3t st
'

test_expect_success 'sync: every local row reaches PostgreSQL; twice changes nothing' '
	kf sync --pg "$URL" --json >s1 &&
	jq -e ".[0].referencesPushed == 2 and .[0].photosPushed == 6 and .[0].pending == 0" s1 &&
	test "$(pg_counts)" = "$(local_counts)" &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_client_faces")" = 2 &&
	test "$(pg_q "$URL" "SELECT DISTINCT source_key FROM rekognition_client_faces")" = sample1.jpg &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_processing_cache")" = 6 &&
	kf sync --pg "$URL" --json >s2 && jq -e ".[0].photosPushed == 0" s2 &&
	test "$(pg_counts)" = "$(local_counts)" &&
	kf sync --status --json | jq -e ".[0].pending == 0 and .[0].lastError == null and .[0].lastSyncAt > 0"
'

test_expect_success 'the platform rows use platform ids: matches name the platform clients' '
	pg_q "$URL" "SELECT DISTINCT c.name FROM rekognition_face_matches m
		JOIN king_gallery_clients c ON c.id = m.client_id ORDER BY 1" >names &&
	printf "Ana Souza\nBruno Lima\n" >expect && test_cmp expect names &&
	pg_q "$URL" "SELECT DISTINCT payload_json->>'\''photoId'\'' = photo_id::text,
		cache_key LIKE '\''match:1:galleries/1/%'\'' FROM rekognition_processing_cache" >keys &&
	echo "t|t" >expect && test_cmp expect keys
'

test_expect_success 're-processing replaces rows on both sides, none doubled' '
	kf process 1 --all --no-cache $M >/dev/null &&
	kf sync --pg "$URL" >/dev/null &&
	test "$(pg_counts)" = "$(local_counts)"
'

# the platform's matches of a photo, a line per face: index and client name
pg_matches() {
	pg_q "$URL" "SELECT f.face_index || ' ' || c.name FROM rekognition_face_matches m
		JOIN rekognition_photo_faces f ON f.id = m.photo_face_id
		JOIN king_photos p ON p.id = f.photo_id
		JOIN king_gallery_clients c ON c.id = m.client_id
		WHERE p.file_path = '$1' ORDER BY f.face_index"
}

P=galleries/1/sample1.jpg
l2() { KINGFACE_DB=$TRASH/reviews2.db kf "$@"; }	# another laptop
test_expect_success 'reviews reach the platform: a rejected match deleted, a confirmed one inserted' '

	pg_matches $P >before && printf "0 Ana Souza\n1 Bruno Lima\n" >expect && test_cmp expect before &&
	kf face reject 1 $P 0 "Ana Souza" >/dev/null &&
	kf face confirm 1 $P 2 "Carla Rocha" >/dev/null &&
	kf sync --status --json | jq -e ".[0].pending >= 1" &&
	kf sync --pg "$URL" >/dev/null &&
	pg_matches $P >after && printf "1 Bruno Lima\n2 Carla Rocha\n" >expect && test_cmp expect after &&
	test "$(pg_counts)" = "$(local_counts)" &&
	test "$(pg_q "$URL" "SELECT count(*) FROM kingface_face_reviews")" = 2
'

test_expect_success 'a second laptop pulls the reviews: its own processing applies them' '
	l2 gallery pull 1 --pg "$URL" --photos card --json >p2 &&
	l2 process 1 $M >/dev/null &&
	test "$(l2 detail 1 $P --json | jq -c "[.faces[] | [.faceIndex, (.matches[0].clientName // null)]]")" = \
		"$(kf detail 1 $P --json | jq -c "[.faces[] | [.faceIndex, (.matches[0].clientName // null)]]")" &&
	l2 detail 1 $P --json | jq -e ".faces[0].rejected[0].clientName == \"Ana Souza\""
'

test_expect_success 'reviews cleared here are cleared there at its next sync' '
	kf face clear 1 $P 0 >/dev/null && kf face clear 1 $P 2 >/dev/null &&
	kf sync --pg "$URL" >/dev/null && pg_matches $P >again && test_cmp before again &&
	test "$(pg_q "$URL" "SELECT count(*) FROM kingface_face_reviews")" = 0 &&
	l2 sync --pg "$URL" --json >s2 && cat s2 &&
	jq -e ".[0].pulled.reviewsChanged == 1" s2 &&
	l2 detail 1 $P --json >d2 &&
	jq -e ".faces[0].matches[0].clientName == \"Ana Souza\" and .faces[0].rejected == []" d2
'

test_expect_success 'a second laptop pulls the references and finds the same matches' '
	KINGFACE_DB=$TRASH/laptop2.db kf gallery pull 1 --pg "$URL" --photos card --json >p2 &&
	jq -e ".referencesAdded == 2" p2 &&
	KINGFACE_DB=$TRASH/laptop2.db kf process 1 $M >/dev/null &&
	test "$(KINGFACE_DB=$TRASH/laptop2.db kf status 1 --json | jq .matches)" = \
		"$(kf status 1 --json | jq .matches)"
'

test_expect_success 'an enrollment removed on one laptop is removed on the other' '
	ref=$(kf client faces 1 "Bruno Lima" --json | jq ".faces[0].id") &&
	kf client unenroll 1 "Bruno Lima" "$ref" >/dev/null &&
	kf sync --pg "$URL" >/dev/null &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_client_faces")" = 1 &&
	KINGFACE_DB=$TRASH/laptop2.db kf sync --pg "$URL" --json >s3 &&
	jq -e ".[0].pulled.referencesRemoved == 1" s3 &&
	test "$(KINGFACE_DB=$TRASH/laptop2.db kf client list 1 --json | jq "[.clients[].faces] | add")" = 1
'

test_expect_success 'the platform renames a client and adds a photo: the next sync brings both' '
	pg_q "$URL" "UPDATE king_gallery_clients SET name = '\''Carla R. Lima'\'' WHERE id = 3;
		INSERT INTO king_photos (gallery_id, file_path, file_name)
		VALUES (1, '\''galleries/1/extra.jpg'\'', '\''extra.jpg'\'')" >/dev/null &&
	cp card/galleries/1/sample2.jpg card/galleries/1/extra.jpg &&
	kf sync --pg "$URL" --json >s4 &&
	jq -e ".[0].pulled.clientsRenamed == 1 and .[0].pulled.photosAdded == 1" s4 &&
	kf client list 1 --json | jq -e "[.clients[].name] | index(\"Carla R. Lima\") != null" &&
	kf photo list 1 --json | jq -e ".total == 7"
'

test_expect_success 'the platform deletes a photo with a change waiting and renames the gallery' '
	kf match 1 galleries/1/sample3.jpg --no-cache $M >/dev/null &&
	kf sync --status --json | jq -e ".[0].pending == 1" &&
	pg_q "$URL" "DELETE FROM king_photos WHERE file_path = '\''galleries/1/sample3.jpg'\'';
		UPDATE king_galleries SET name = '\''Demo wedding 2026'\'' WHERE id = 1" >/dev/null &&
	kf sync --pg "$URL" --json >s7 &&
	jq -e ".[0].pulled.photosMissing == 1 and .[0].localOnly == 1 and .[0].pending == 0" s7 &&
	kf gallery list --json | jq -e "[.galleries[].name] | index(\"Demo wedding 2026\") != null"
'

test_expect_success 'a client added here first: adopted when the platform adds it' '
	kf client add 1 " davi_" >/dev/null &&
	kf enroll 1 davi card/galleries/1/sample5.jpg --face 0 >/dev/null &&
	kf sync --pg "$URL" --json >s5 && jq -e ".[0].localOnly == 1" s5 &&
	pg_q "$URL" "INSERT INTO king_gallery_clients (gallery_id, name) VALUES (1, '\''Davi'\'')" >/dev/null &&
	kf sync --pg "$URL" --json >s6 && jq -e ".[0].referencesPushed == 1" s6 &&
	test "$(pg_q "$URL" "SELECT count(*) FROM rekognition_client_faces f
		JOIN king_gallery_clients c ON c.id = f.client_id WHERE c.name = '\''Davi'\''")" = 1 &&
	kf client list 1 --json | jq -e "[.clients[].name | select(test(\"davi\"; \"i\"))] == [\"Davi\"]"
'

# A private server for this one: the shared one must not stop under other tests.
port=${KF_TEST_PG_URL##*:}
port=$((${port%%/*} + 500))
own="postgresql://kingface:kf-test-pw@127.0.0.1:$port/kingface"
bash "$KF_SOURCE_DIR/tests/servers/pg.sh" start "$TRASH/pg" "$port" >/dev/null
trap 'bash "$KF_SOURCE_DIR/tests/servers/pg.sh" stop "$TRASH/pg"; [ -f "$TRASH/.pids" ] && kill -9 $(cat "$TRASH/.pids") 2>/dev/null; rm -rf "$TRASH"' EXIT

test_expect_success 'PostgreSQL stopped mid-sync: nothing lost, the next sync completes it' '
	psql -X -q "$own" -f "$KF_TEST_DATA/platform/schema.sql" >/dev/null &&
	psql -X -q "$own" -f "$KF_TEST_DATA/platform/demo.sql" >/dev/null &&
	export KINGFACE_DB=$TRASH/laptop3.db &&
	kf gallery pull 1 --pg "$own" --photos card >/dev/null &&
	kf enroll 1 "Ana Souza" card/galleries/1/sample1.jpg --face 0 >/dev/null &&
	kf process 1 $M >/dev/null &&
	pg_q "$own" "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
		\$\$BEGIN PERFORM pg_sleep(0.25); RETURN NEW; END\$\$;
		CREATE TRIGGER slow BEFORE INSERT ON rekognition_photo_faces
		FOR EACH ROW EXECUTE FUNCTION slow()" >/dev/null &&
	kf_bg sync.out sync --pg "$own" && pid=$! &&
	sleep 2.5 && bash "$KF_SOURCE_DIR/tests/servers/pg.sh" kill "$TRASH/pg" &&
	! wait $pid && cat sync.out && grep -q "sync again later\|cannot connect\|server closed" sync.out &&
	kf sync --status --json >st && jq -e ".[0].pending > 0 and .[0].lastError != null" st &&
	bash "$KF_SOURCE_DIR/tests/servers/pg.sh" restart "$TRASH/pg" &&
	pg_q "$own" "DROP TRIGGER slow ON rekognition_photo_faces" >/dev/null &&
	kf sync --pg "$own" >/dev/null &&
	kf sync --status --json | jq -e ".[0].pending == 0" &&
	URL=$own && test "$(pg_counts)" = "$(local_counts)" &&
	test "$(pg_q "$own" "SELECT count(*) FROM rekognition_client_faces")" = 1
'

test_done
