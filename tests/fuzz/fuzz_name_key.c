/* fuzz_name_key.c: kf_store_name_key() (data/store.h) on arbitrary bytes,
 * into buffers of every size up to the input's length + 2. It must never
 * write past n, always end the key with a NUL, and give a key with no ASCII
 * capital, tab or underscore, no space at either end and no two in a row;
 * ASCII input never grows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *key;
	size_t len, ascii = 1;

	if (size > 4096 || !(in = malloc(size + 1)))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	len = strlen(in);
	for (size_t i = 0; i < len; i++)
		ascii &= (unsigned char)in[i] < 0x80;
	for (size_t n = 1; n <= len + 2; n++) {
		size_t k;

		/* exactly n bytes, so ASan sees a write past them */
		if (!(key = malloc(n)))
			break;
		kf_store_name_key(in, key, n);
		k = strlen(key);
		CHECK(k < n);
		CHECK(!ascii || k <= len);
		CHECK(k == 0 || (key[0] != ' ' && key[k - 1] != ' '));
		for (size_t i = 0; i < k; i++) {
			CHECK(!(key[i] >= 'A' && key[i] <= 'Z') && key[i] != '\t' && key[i] != '_');
			CHECK(!(key[i] == ' ' && key[i + 1] == ' '));
		}
		free(key);
	}
	free(in);
	return 0;
}
