/* fuzz_detect.c: the decode-and-detect path of a photo on arbitrary bytes:
 * probe, decode at the scale YuNet's rule asks for, kf_detect with YuNet (fine
 * and coarse passes, box mapping), release. Any crash, leak, sanitizer report
 * or hang is a bug; errors are fine. Images whose header claims more than
 * FUZZ_MAX_PIXELS are only probed, to keep each run a few milliseconds.
 * Seeds: corpus/detect/ (the image corpus plus two small faces, so mutations
 * reach the candidates, NMS and the mapping). */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/detect.h"
#include "core/image.h"

#define FUZZ_MAX_INPUT (1u << 20)
#define FUZZ_MAX_PIXELS (160LL * 160)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kf_detector *det;
static struct kf_arena arena = KF_ARENA_INIT;

static void release(void)
{
	kf_detector_free(det);
	kf_arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0 };
	struct kf_detection *found = NULL;
	size_t n = 0;

	if (!det) {
		if (kf_detector_load(&det, NULL, KF_TEST_YUNET, KF_LOAD_YUNET, &err) < 0) {
			fprintf(stderr, "fuzz_detect: %s\n", err.msg);
			abort();
		}
		atexit(release);
	}
	if (size > FUZZ_MAX_INPUT || kf_image_probe(data, size, &info, &err) < 0 ||
	    (long long)info.width * info.height > FUZZ_MAX_PIXELS)
		return 0;
	o.min_score = 0.05f;	/* many candidates: NMS and the merge get work */
	if (kf_image_decode(data, size, kf_detect_min_side(&o, info.width, info.height), &img,
			    &info, &err) == KF_OK) {
		if (kf_detect(det, &o, &img, info.width, info.height, &found, &n, &arena, &err) == KF_OK)
			kf_free(found);
		kf_image_release(&img);
	}
	return 0;
}
