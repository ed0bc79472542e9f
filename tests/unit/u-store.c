/* u-store.c: the SQLite store: migrations, transactions, galleries, clients,
 * photos, cascades, and the folder import's all-or-nothing behaviour. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "data/source_folder.h"
#include "data/store.h"
#include "data/store_schema.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"

static struct kf_store *open_fresh(const char **path_out)
{
	const char *path = kf_test_path("%s/k.db", kf_test_tmpdir());
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;

	assert_int_equal(kf_store_open(&st, path, KF_STORE_CREATE, &err), KF_OK);
	if (path_out)
		*path_out = path;
	return st;
}

static void test_open_migrates_and_reopens(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *path;
	struct kf_store *st = open_fresh(&path);
	(void)state;

	assert_int_equal(kf_test_sql_int(st, "PRAGMA user_version"), kf_store_schema_count());
	assert_int_equal(kf_test_sql_int(st, "PRAGMA foreign_keys"), 1);
	kf_store_close(st);
	assert_int_equal(kf_store_open(&st, path, 0, &err), KF_OK);
	assert_int_equal(kf_test_sql_int(st, "PRAGMA user_version"), kf_store_schema_count());
	kf_store_close(st);
	kf_store_close(NULL);
}

/* Whatever the umask, a new database is 0600 and so are its -wal and -shm
 * (SQLite gives them the database's mode); an existing file keeps its mode. */
static void test_open_creates_private_files(void **state)
{
	static const mode_t masks[] = { 022, 0, 077 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	struct stat sb;
	(void)state;

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		const char *path = kf_test_path("%s/private%zu.db", kf_test_tmpdir(), i);
		mode_t old = umask(masks[i]);

		assert_int_equal(kf_store_open(&st, path, KF_STORE_CREATE, &err), KF_OK);
		umask(old);
		assert_int_equal(kf_store_setting_set(st, "k", "v", &err), KF_OK);
		for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
			assert_int_equal(stat(kf_test_path("%s%s", path, *s), &sb), 0);
			assert_int_equal(sb.st_mode & 0777, 0600);
		}
		kf_store_close(st);
	}
	{
		const char *path = kf_test_path("%s/shared.db", kf_test_tmpdir());

		assert_int_equal(kf_store_open(&st, path, KF_STORE_CREATE, &err), KF_OK);
		kf_store_close(st);
		assert_int_equal(chmod(path, 0644), 0);
		assert_int_equal(kf_store_open(&st, path, KF_STORE_CREATE, &err), KF_OK);
		kf_store_close(st);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0644);
	}
	/* a folder that does not exist: the error names the file */
	assert_int_equal(kf_store_open(&st, kf_test_path("%s/no/such.db", kf_test_tmpdir()),
				       KF_STORE_CREATE, &err), KF_E_IO);
	assert_non_null(strstr(err.msg, "cannot create database"));
	assert_non_null(strstr(err.msg, "no/such.db"));
}

static void exec_ok(struct kf_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* A version-3 database (before the detector was stored): migration 4 marks
 * the local galleries with results as SSD's, the others as not yet known. */
static void test_migration_4_detector(void **state)
{
	const char *path = kf_test_path("%s/v3.db", kf_test_tmpdir());
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	struct kf_gallery g;
	sqlite3 *db;
	(void)state;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 1; v <= 3; v++)
		assert_int_equal(sqlite3_exec(db, kf_store_schema_migration(v), NULL, NULL, NULL),
				 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"PRAGMA user_version = 3;"
		"INSERT INTO galleries(id, name, engine, created_at, updated_at) VALUES"
		" (1, 'done', 'local', 0, 0), (2, 'new', 'local', 0, 0), (3, 'rek', 'rekognition', 0, 0);"
		"INSERT INTO photos(id, gallery_id, key, created_at, updated_at) VALUES"
		" (1, 1, 'a.jpg', 0, 0), (2, 2, 'b.jpg', 0, 0), (3, 3, 'c.jpg', 0, 0);"
		"INSERT INTO photo_jobs(photo_id, state, updated_at) VALUES"
		" (1, 'done', 0), (2, 'pending', 0), (3, 'done', 0);"
		"INSERT INTO photo_faces(photo_id, face_index, box_left, box_top, box_width,"
		" box_height, confidence) VALUES (1, 0, 0.1, 0.1, 0.2, 0.2, 90);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(kf_store_open(&st, path, 0, &err), KF_OK);
	assert_int_equal(kf_test_sql_int(st, "PRAGMA user_version"), kf_store_schema_count());
	assert_int_equal(kf_store_gallery_get(st, 1, &g, &err), KF_OK);
	assert_string_equal(g.detector, "ssd");
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_get(st, 2, &g, &err), KF_OK);
	assert_null(g.detector);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_get(st, 3, &g, &err), KF_OK);
	assert_null(g.detector);	/* Rekognition's results: no local detector */
	kf_store_gallery_release(&g);
	assert_int_equal(kf_test_sql_int(st, "SELECT recognizable FROM photo_faces"), 1);
	kf_store_close(st);
}

/* The detector: adopted by the first results, kept, switched with the
 * results dropped and the photos queued again; an engine switch clears it. */
static void test_gallery_detector(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	struct kf_gallery g;
	int64_t gid, requeued;
	(void)state;

	assert_int_equal(kf_store_gallery_create(st, "G", NULL, &gid, &err), KF_OK);
	assert_int_equal(kf_store_gallery_get(st, gid, &g, &err), KF_OK);
	assert_null(g.detector);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_adopt_detector(st, gid, "yunet", &err), KF_OK);
	assert_int_equal(kf_store_gallery_adopt_detector(st, gid, "yunet", &err), KF_OK);
	assert_int_equal(kf_store_gallery_adopt_detector(st, gid, "ssd", &err), KF_E_INVALID);
	assert_non_null(strstr(err.msg, "kingface gallery detector"));
	kf_err_clear(&err);

	exec_ok(st, "INSERT INTO photos(id, gallery_id, key, created_at, updated_at) VALUES"
		    " (1, 1, 'a.jpg', 0, 0), (2, 1, 'b.jpg', 0, 0);"
		    "INSERT INTO photo_jobs(photo_id, state, etag, updated_at) VALUES"
		    " (1, 'done', 'e1', 0), (2, 'done', 'e2', 0);"
		    "INSERT INTO photo_faces(id, photo_id, face_index, box_left, box_top, box_width,"
		    " box_height, confidence, recognizable) VALUES"
		    " (1, 1, 0, 0.1, 0.1, 0.2, 0.2, 90, 1), (2, 1, 1, 0.5, 0.5, 0.01, 0.01, 70, 0);"
		    "INSERT INTO clients(id, gallery_id, name, created_at) VALUES (1, 1, 'Ana', 0);"
		    "INSERT INTO face_matches(photo_face_id, client_id, similarity) VALUES (1, 1, 90);"
		    "INSERT INTO processing_cache(key, gallery_id, photo_id, payload, expires_at,"
		    " created_at) VALUES ('match:1:a.jpg:e1:t80:m100', 1, 1, '{}', 9e15, 0);");
	/* refused while a photo is being processed: nothing changes */
	exec_ok(st, "UPDATE photo_jobs SET state = 'running' WHERE photo_id = 2");
	assert_int_equal(kf_store_gallery_set_detector(st, gid, "ssd", 1, &requeued, &err),
			 KF_E_BUSY);
	kf_err_clear(&err);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photo_faces"), 2);
	exec_ok(st, "UPDATE photo_jobs SET state = 'done' WHERE photo_id = 2");

	assert_int_equal(kf_store_gallery_set_detector(st, gid, "ssd", 1, &requeued, &err), KF_OK);
	assert_int_equal(requeued, 2);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photo_faces"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM face_matches"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM processing_cache"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photo_jobs "
					     "WHERE state = 'pending'"), 2);
	assert_int_equal(kf_store_gallery_get(st, gid, &g, &err), KF_OK);
	assert_string_equal(g.detector, "ssd");
	assert_int_equal(g.pending, 2);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_adopt_detector(st, gid, "yunet", &err), KF_E_INVALID);
	kf_err_clear(&err);

	/* another engine's results have no local detector */
	assert_int_equal(kf_store_gallery_set_engine(st, gid, "rekognition", 1, &requeued, &err),
			 KF_OK);
	assert_int_equal(kf_store_gallery_get(st, gid, &g, &err), KF_OK);
	assert_null(g.detector);
	assert_string_equal(g.engine, "rekognition");
	kf_store_gallery_release(&g);
	kf_store_close(st);
}

static void test_open_refuses_bad_files(void **state)
{
	const char *dir = kf_test_tmpdir();
	const char *text = kf_test_path("%s/text", dir), *newer = kf_test_path("%s/new.db", dir);
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	(void)state;

	kf_test_write_file(text, "hello world, not sqlite at all, long enough for a header....."
			   "..................................................", 112);
	assert_int_equal(kf_store_open(&st, text, 0, &err), KF_E_DB);
	assert_null(st);
	assert_non_null(strstr(err.msg, "not a kingface database"));

	kf_err_clear(&err);
	assert_int_equal(kf_store_open(&st, newer, KF_STORE_CREATE, &err), KF_OK);
	sqlite3_exec(st->db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	kf_store_close(st);
	assert_int_equal(kf_store_open(&st, newer, 0, &err), KF_E_DB);
	assert_non_null(strstr(err.msg, "newer than this kingface"));

	kf_err_clear(&err);
	assert_int_equal(kf_store_open(&st, kf_test_path("%s/none.db", dir), 0, &err),
			 KF_E_NOTFOUND);
}

static void test_transactions_roll_back(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	struct kf_gallery *list;
	size_t n;
	(void)state;

	assert_int_equal(kf_store_begin(st, &err), KF_OK);
	assert_int_equal(kf_store_begin(st, &err), KF_OK);	/* nested: counted */
	assert_int_equal(kf_store_gallery_create(st, "a", NULL, NULL, &err), KF_OK);
	assert_int_equal(kf_store_commit(st, &err), KF_OK);	/* inner: no commit */
	kf_store_rollback(st);
	assert_int_equal(kf_store_gallery_list(st, &list, &n, &err), KF_OK);
	assert_int_equal(n, 0);
	assert_null(list);
	kf_store_close(st);
}

static void test_gallery_client_photo_rows(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	struct kf_photo_file f = { .key = "a/b.jpg", .path = "/x/a/b.jpg", .etag = "e1",
				   .size = 10, .mtime_ns = 5, .width = 40, .height = 30 };
	struct kf_client_removed removed;
	struct kf_client c, *clients;
	struct kf_photo p, *photos;
	struct kf_gallery g;
	int64_t gid, cid, pid, total;
	size_t n;
	(void)state;

	assert_int_equal(kf_store_gallery_create(st, "Wedding", "/x", &gid, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(st, "Wedding", "/y", NULL, &err), KF_E_EXISTS);
	kf_err_clear(&err);
	/* an all-digit name that is not an id is found by name */
	assert_int_equal(kf_store_gallery_create(st, "2024", NULL, NULL, &err), KF_OK);
	assert_int_equal(kf_store_gallery_find(st, "2024", &g, &err), KF_OK);
	assert_string_equal(g.name, "2024");
	kf_store_gallery_release(&g);

	assert_int_equal(kf_store_client_add(st, gid, "Ana", "42", &cid, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Ana", NULL, NULL, &err), KF_E_EXISTS);
	kf_err_clear(&err);
	assert_int_equal(kf_store_client_add(st, gid, "Bia", NULL, NULL, &err), KF_OK);
	assert_int_equal(kf_store_client_rename(st, cid, "Bia", &err), KF_E_EXISTS);
	kf_err_clear(&err);
	assert_int_equal(kf_store_client_find(st, gid, "Ana", &c, &err), KF_OK);
	assert_string_equal(c.external_id, "42");
	kf_store_client_release(&c);

	assert_int_equal(kf_store_photo_put(st, gid, &f, &pid, &err), KF_OK);
	f.key = "c.jpg";
	f.error = "not a JPEG or PNG file";
	assert_int_equal(kf_store_photo_put(st, gid, &f, NULL, &err), KF_OK);
	assert_int_equal(kf_store_photo_list(st, gid, "failed", 0, 10, &photos, &n, &total, &err),
			 KF_OK);
	assert_int_equal(total, 1);
	assert_string_equal(photos[0].error, "not a JPEG or PNG file");
	kf_store_photo_list_free(photos, n);
	/* the console's filter: key contains */
	assert_int_equal(kf_store_photo_search(st, gid, NULL, "c.j", 0, 10, &photos, &n, &total,
					       &err), KF_OK);
	assert_int_equal(total, 1);
	assert_int_equal(n, 1);
	assert_string_equal(photos[0].key, "c.jpg");
	kf_store_photo_list_free(photos, n);
	assert_int_equal(kf_store_photo_search(st, gid, NULL, "", 0, 10, &photos, &n, &total,
					       &err), KF_OK);
	assert_int_equal(total, 2);
	kf_store_photo_list_free(photos, n);

	/* a face with a match for Ana, and a cache entry, then remove Ana */
	sqlite3_exec(st->db, "INSERT INTO photo_faces(photo_id, face_index, box_left, box_top, "
		     "box_width, box_height, confidence) VALUES (1, 0, .1, .1, .2, .2, 99);"
		     "INSERT INTO face_matches(photo_face_id, client_id, similarity) VALUES (1, 1, 91);"
		     "INSERT INTO client_faces(client_id, descriptor, model, created_at) "
		     "VALUES (1, x'00', 'm', 0);"
		     "INSERT INTO processing_cache(key, gallery_id, payload, expires_at, created_at) "
		     "VALUES ('k', 1, '{}', 0, 0);", NULL, NULL, NULL);
	assert_int_equal(kf_store_gallery_find(st, "Wedding", &g, &err), KF_OK);
	assert_int_equal(g.photos, 2);
	assert_int_equal(g.clients, 2);
	assert_int_equal(g.failed, 1);
	assert_int_equal(g.pending, 1);
	assert_int_equal(g.faces, 1);
	assert_int_equal(g.matches, 1);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_photo_find(st, gid, "a/b.jpg", &p, &err), KF_OK);
	assert_int_equal(p.faces, 1);
	assert_int_equal(p.width, 40);
	kf_store_photo_release(&p);

	assert_int_equal(kf_store_client_remove(st, cid, &removed, &err), KF_OK);
	assert_int_equal(removed.faces, 1);
	assert_int_equal(removed.matches, 1);
	assert_int_equal(removed.cache_entries, 1);
	assert_int_equal(kf_store_client_list(st, gid, &clients, &n, &err), KF_OK);
	assert_int_equal(n, 1);
	kf_store_client_list_free(clients, n);

	/* removing the gallery cascades to every table */
	assert_int_equal(kf_store_gallery_remove(st, gid, &err), KF_OK);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photos"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photo_jobs"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM photo_faces"), 0);
	assert_int_equal(kf_test_sql_int(st, "SELECT count(*) FROM clients"), 0);
	kf_store_close(st);
}

static void test_name_key(void **state)
{
	static const char *const cases[][2] = {
		{ "João  Silva", "joao silva" },
		{ "  JOAO_SILVA ", "joao silva" },
		{ "Jose\xcc\x81 Nun\xcc\x83" "es", "jose nunes" },	/* decomposed (macOS) */
		{ "Conceição Araújo", "conceicao araujo" },
		{ "Straße Œuvre Æsa Þór", "strasse oeuvre aesa thor" },
		{ "Łukasz Dvořák", "lukasz dvorak" },
		{ "3×4 ÷", "3×4 ÷" },			/* signs kept */
		{ "李 小龙", "李 小龙" },		/* other scripts kept */
		{ "\xc3", "\xc3" },			/* a cut UTF-8 sequence kept */
		{ "", "" },
	};
	char key[64];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kf_store_name_key(cases[i][0], key, sizeof(key));
		assert_string_equal(key, cases[i][1]);
	}
	/* never past n */
	memset(key, 'x', sizeof(key));
	kf_store_name_key("Ææææ", key, 4);
	assert_string_equal(key, "aea");
	kf_store_name_key("Ana Souza", key, 1);
	assert_string_equal(key, "");
}

/* Two names with one key are one person's: added once, found by either. */
static void test_client_names_one_person(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	struct kf_gallery g;
	struct kf_client c;
	int64_t gid, ana, bia;
	(void)state;

	assert_int_equal(kf_store_gallery_create(st, "Wedding", "/x", &gid, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Ana Conceição", NULL, &ana, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "ana  conceicao", NULL, NULL, &err),
			 KF_E_EXISTS);
	assert_non_null(strstr(err.msg, "'Ana Conceição', the same name but for case"));
	kf_err_clear(&err);
	assert_int_equal(kf_store_client_find(st, gid, "ANA_CONCEICAO", &c, &err), KF_OK);
	assert_int_equal(c.id, ana);
	kf_store_client_release(&c);
	assert_int_equal(kf_store_client_named(st, gid, "ana conceição", &c, &err), KF_OK);
	assert_int_equal(c.id, ana);
	kf_store_client_release(&c);
	assert_int_equal(kf_store_client_named(st, gid, "Ana", &c, &err), KF_E_NOTFOUND);
	kf_err_clear(&err);

	/* renamed: to its own name in other letters, not to another's */
	assert_int_equal(kf_store_client_rename(st, ana, "Ana Conceicao", &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Bia", NULL, &bia, &err), KF_OK);
	assert_int_equal(kf_store_client_rename(st, bia, "ANA CONCEIÇÃO", &err), KF_E_EXISTS);
	kf_err_clear(&err);

	/* the platform's clients keep its names, even two alike: then a name
	 * that is not exact is refused, naming both */
	assert_int_equal(kf_store_client_add(st, gid, "ANA CONCEICAO", "p7", NULL, &err), KF_OK);
	assert_int_equal(kf_store_client_find(st, gid, "ANA CONCEICAO", &c, &err), KF_OK);
	assert_string_equal(c.external_id, "p7");
	kf_store_client_release(&c);
	assert_int_equal(kf_store_client_find(st, gid, "ana conceicao", &c, &err), KF_E_INVALID);
	assert_non_null(strstr(err.msg, "could be client 'Ana Conceicao'"));
	kf_err_clear(&err);
	/* other galleries are apart */
	assert_int_equal(kf_store_gallery_create(st, "Colégio São José", "/y", &gid, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "ana conceicao", NULL, NULL, &err), KF_OK);
	/* a GALLERY argument in other letters too */
	assert_int_equal(kf_store_gallery_find(st, "colegio  sao_jose", &g, &err), KF_OK);
	assert_int_equal(g.id, gid);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_find(st, "colegio", &g, &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no gallery 'colegio'"));
	kf_err_clear(&err);
	assert_int_equal(kf_store_gallery_create(st, "COLEGIO SAO JOSE", "/z", NULL, &err), KF_OK);
	assert_int_equal(kf_store_gallery_find(st, "colegio sao jose", &g, &err), KF_E_INVALID);
	kf_err_clear(&err);
	assert_int_equal(kf_store_gallery_find(st, "COLEGIO SAO JOSE", &g, &err), KF_OK);
	/* renamed to its own name in other letters, not to another's */
	assert_int_equal(kf_store_gallery_rename(st, g.id, "Colegio Sao Jose", &err), KF_E_EXISTS);
	kf_err_clear(&err);
	assert_int_equal(kf_store_gallery_rename(st, g.id, "Party", &err), KF_OK);
	assert_int_equal(kf_store_gallery_rename(st, gid, "Colégio  São José", &err), KF_OK);
	kf_store_gallery_release(&g);
	assert_true(kf_store_name_same("João", "JOAO") && !kf_store_name_same("João", "Joana"));
	kf_store_close(st);
}

static void test_settings(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	char v[32];
	(void)state;

	assert_int_equal(kf_store_setting_get(st, "threshold", v, sizeof(v), &err), KF_E_NOTFOUND);
	assert_int_equal(kf_store_setting_set(st, "threshold", "80", &err), KF_OK);
	assert_int_equal(kf_store_setting_set(st, "threshold", "85", &err), KF_OK);
	assert_int_equal(kf_store_setting_get(st, "threshold", v, sizeof(v), &err), KF_OK);
	assert_string_equal(v, "85");
	kf_store_close(st);
}

static void test_import_is_all_or_nothing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh(NULL);
	struct kf_import_summary sum;
	struct kf_gallery *list;
	const char *dir = kf_test_tmpdir();
	char deep[4096];
	size_t n;
	(void)state;

	/* one photo at the top, then folders nested deeper than the import allows */
	kf_test_write_file(kf_test_path("%s/a.jpg", dir), "\xff\xd8\xff", 3);
	snprintf(deep, sizeof(deep), "%s", dir);
	for (int i = 0; i < 40; i++) {
		strcat(deep, "/d");
		assert_int_equal(mkdir(deep, 0700), 0);
	}
	assert_int_not_equal(kf_source_folder_import(st, dir, "deep", &sum, &err), KF_OK);
	assert_non_null(strstr(err.msg, "nested more than"));
	assert_int_equal(kf_store_gallery_list(st, &list, &n, &err), KF_OK);
	assert_int_equal(n, 0);	/* neither the gallery nor a.jpg was written */
	kf_store_close(st);
}

static void test_file_etag_is_md5(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *path = kf_test_path("%s/f", kf_test_tmpdir());
	char etag[33];
	(void)state;

	kf_test_write_file(path, "abc", 3);
	assert_int_equal(kf_source_file_etag(path, etag, &err), KF_OK);
	assert_string_equal(etag, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(kf_source_file_etag(kf_test_path("%s/none", kf_test_tmpdir()), etag, &err),
			 KF_E_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_migrates_and_reopens),
		cmocka_unit_test(test_open_creates_private_files),
		cmocka_unit_test(test_open_refuses_bad_files),
		cmocka_unit_test(test_migration_4_detector),
		cmocka_unit_test(test_gallery_detector),
		cmocka_unit_test(test_transactions_roll_back),
		cmocka_unit_test(test_gallery_client_photo_rows),
		cmocka_unit_test(test_name_key),
		cmocka_unit_test(test_client_names_one_person),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_import_is_all_or_nothing),
		cmocka_unit_test(test_file_etag_is_md5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
