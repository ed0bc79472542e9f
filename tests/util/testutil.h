/* testutil.h: helpers shared by the unit tests (cmocka).
 *
 * Paths compiled in by tests/CMakeLists.txt, so tests run from any folder:
 *   KF_SOURCE_DIR   the source tree
 *   KF_TEST_DATA    tests/data (reference outputs, datasets, fixtures)
 *   KF_TEST_MODELS  the face-api model folder scripts/setup extracts
 *   KF_TEST_DEMO    the face-api sample photos scripts/setup extracts
 */
#ifndef KF_TESTUTIL_H
#define KF_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh empty folder under $TMPDIR (or /tmp), removed with its contents at
 * exit. The string is owned by testutil and lives until exit. Aborts the test
 * on failure. */
const char *kf_test_tmpdir(void);

/* Read a whole file; *len gets its size. Caller frees. Fails the test if the
 * file cannot be read. */
uint8_t *kf_test_read_file(const char *path, size_t *len);

/* Write len bytes to path, failing the test on error. */
void kf_test_write_file(const char *path, const void *data, size_t len);

/* snprintf into a static rotating buffer (8 slots): for building paths inline. */
const char *kf_test_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* First thing in a test case that runs a network over whole photos (a minute
 * or more under qemu-user): skips the case when $KF_TEST_QUICK is set, as
 * tests/CMakeLists.txt does for tests run through an emulator (the ARM64 step
 * of scripts/test; docs/internals/arm64.md lists the cases). */
void kf_test_slow(void);

/* The ones below are in testutil_net.c, which a KF_CORE_ONLY build leaves out. */

struct kf_store;

/* The integer of the first column of the first row sql gives on st's
 * database; fails the test when there is no row. */
int kf_test_sql_int(struct kf_store *st, const char *sql);

/* GET url (body NULL) or POST body to it; *status gets the HTTP status.
 * Returns the answer, NUL-terminated (caller frees). Fails the test when the
 * server cannot be reached. For the test servers' control paths. */
char *kf_test_http(const char *url, const char *body, long *status);

/* A fresh database called kf_<name> on the test PostgreSQL (a test with the
 * "fixtures: pg" line) holding the platform's tables (tests/data/platform/
 * schema.sql), and demo.sql's gallery when demo is set. Returns its URL (owned
 * by testutil). Skips the test when KF_TEST_PG_URL is not set. */
const char *kf_test_pg_db(const char *name, int demo);

#endif
