/* fuzz_manifest.c: kf_weights_parse_manifest() on arbitrary bytes. Whatever the
 * input, it must return KF_OK or a negative code with a message, never crash,
 * leak or read past the buffer, and a parsed manifest must be self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_manifest m;
	/* an exact-size copy, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	rc = kf_weights_parse_manifest(buf, size, "fuzz.json", &m, &err);
	if (rc < 0) {
		CHECK(err.msg[0] && m.n_entries == 0 && m.entries == NULL);
	} else {
		for (int i = 0; i < m.n_entries; i++) {
			const struct kf_manifest_entry *e = &m.entries[i];

			CHECK(e->group >= 0 && e->group < m.n_groups);
			CHECK(e->offset + e->n_bytes <= m.groups[e->group].n_bytes);
			CHECK(e->name[0] && strlen(e->name) < sizeof(e->name));
		}
	}
	kf_manifest_release(&m);
	free(buf);
	return 0;
}
