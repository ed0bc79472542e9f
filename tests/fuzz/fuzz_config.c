/* fuzz_config.c: kf_config_load() on an arbitrary config file (written 0600 to
 * a temporary file after a line holding a known secret). Whatever the input,
 * it must return KF_OK or a negative code with a message, never crash or
 * leak; a loaded config holds only keys named like AWS_REGION, each once,
 * with trimmed values; and no message ever shows the secret (a message may
 * quote the input's own text, a key set twice say: the check is skipped when
 * the input holds the secret's marker itself). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

#define SECRET "s3cr3t-XYZZY"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char first[] = "AWS_SECRET_ACCESS_KEY = " SECRET "\n";
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/kf-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w")))
		abort();
	CHECK(fwrite(first, 1, sizeof(first) - 1, f) == sizeof(first) - 1);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);
	rc = kf_config_load(&cfg, path, &err);
	unlink(path);
	if (rc < 0) {
		CHECK(err.msg[0] && cfg.n == 0 && cfg.path == NULL);
		CHECK(memmem(data, size, "XYZZY", 5) || !strstr(err.msg, "XYZZY"));
		return 0;
	}
	CHECK(cfg.n >= 1 && cfg.n <= KF_CONFIG_MAX_KEYS);
	CHECK(!strcmp(cfg.key[0], "AWS_SECRET_ACCESS_KEY") && !strcmp(cfg.value[0], SECRET));
	for (size_t i = 0; i < cfg.n; i++) {
		const char *v = cfg.value[i];
		size_t n = strlen(v);

		CHECK(cfg.key[i][0] && strspn(cfg.key[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
		      strlen(cfg.key[i]));
		CHECK(!strchr(v, '\n') && (n == 0 || (v[0] != ' ' && v[n - 1] != ' ')));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(cfg.key[i], cfg.key[j]));
	}
	kf_config_release(&cfg);
	return 0;
}
