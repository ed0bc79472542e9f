/* driver.c: runs a libFuzzer-style harness (LLVMFuzzerTestOneInput) without
 * libFuzzer, so every fuzz target is also a plain ctest test under ASan/UBSan.
 *
 * Usage: fuzz_<name> CORPUS_DIR [ITERATIONS]
 *   1. replays every file of CORPUS_DIR (saved inputs, crashes once fixed);
 *   2. runs ITERATIONS (default $KF_FUZZ_ITERS, else 2000) seeded mutations of
 *      those files: bit flips, byte sets, truncations, insertions, splices.
 * The seed is fixed, so a failure repeats; KF_FUZZ_SEED changes it.
 *
 * DEBUGGING HINTS: a crash prints the iteration; rerun with the same seed and
 * KF_FUZZ_SAVE=path to write the failing input, then add it to the corpus.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	uint8_t *data;
	size_t size;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic across platforms */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int load(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	in->data = malloc((size_t)n + 1);
	in->size = (size_t)n;
	if (!in->data || fread(in->data, 1, (size_t)n, f) != (size_t)n) {
		free(in->data);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static size_t mutate(uint8_t *buf, size_t size, size_t cap, const struct input *other)
{
	int rounds = 1 + (int)(rng() % 8);

	for (int r = 0; r < rounds && size > 0; r++) {
		size_t at = (size_t)(rng() % size);

		switch (rng() % 6) {
		case 0: buf[at] ^= (uint8_t)(1u << (rng() % 8)); break;
		case 1: buf[at] = (uint8_t)rng(); break;
		case 2: size = at + 1; break;				/* truncate */
		case 3:							/* insert */
			if (size < cap) {
				memmove(buf + at + 1, buf + at, size - at);
				buf[at] = (uint8_t)rng();
				size++;
			}
			break;
		case 4: {						/* splice */
			size_t from = (size_t)(rng() % other->size), n = 1 + (size_t)(rng() % 64);
			if (from + n > other->size) n = other->size - from;
			if (at + n > size) n = size - at;
			memcpy(buf + at, other->data + from, n);
			break;
		}
		default: {						/* interesting values */
			static const uint8_t v[] = { 0x00, 0xff, 0x7f, 0x80, 0x01 };
			buf[at] = v[rng() % sizeof(v)];
			break;
		}
		}
	}
	return size;
}

int main(int argc, char **argv)
{
	struct input *ins = NULL;
	size_t nins = 0, maxsize = 0;
	long iters = 2000;
	const char *e;
	DIR *d;
	struct dirent *de;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
		return 2;
	}
	if ((e = getenv("KF_FUZZ_ITERS")))
		iters = atol(e);
	if (argc > 2)
		iters = atol(argv[2]);
	rng_state = (e = getenv("KF_FUZZ_SEED")) ? strtoull(e, NULL, 0) | 1 : 0x9e3779b97f4a7c15ULL;

	if (!(d = opendir(argv[1]))) {
		fprintf(stderr, "%s: cannot open corpus '%s'\n", argv[0], argv[1]);
		return 1;
	}
	while ((de = readdir(d))) {
		char path[4096];
		struct input in;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if (load(path, &in) != 0)
			continue;
		ins = realloc(ins, (nins + 1) * sizeof(*ins));
		if (!ins)
			return 1;
		ins[nins++] = in;
		if (in.size > maxsize)
			maxsize = in.size;
		LLVMFuzzerTestOneInput(in.data, in.size);
	}
	closedir(d);
	if (nins == 0) {
		fprintf(stderr, "%s: corpus '%s' is empty\n", argv[0], argv[1]);
		return 1;
	}

	uint8_t *buf = malloc(maxsize + 4096);
	if (!buf)
		return 1;
	for (long i = 0; i < iters; i++) {
		const struct input *in = &ins[rng() % nins], *other = &ins[rng() % nins];
		size_t size;

		memcpy(buf, in->data, in->size);
		size = mutate(buf, in->size, in->size + 4096, other);
		if ((e = getenv("KF_FUZZ_SAVE"))) {
			FILE *f = fopen(e, "wb");
			if (f) {
				fwrite(buf, 1, size, f);
				fclose(f);
			}
		}
		LLVMFuzzerTestOneInput(buf, size);
	}
	printf("%zu corpus inputs, %ld mutations: no crash\n", nins, iters);
	free(buf);
	for (size_t i = 0; i < nins; i++)
		free(ins[i].data);
	free(ins);
	return 0;
}
