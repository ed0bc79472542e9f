/* fuzz_image.c: kf_image_probe / kf_image_decode / kf_image_decode_in /
 * kf_image_decode_rows_in on arbitrary bytes.
 *
 * Modelled on stb's stbi_read_fuzzer: cap the input, probe, decode (full size
 * and at the detector's DCT scale), run the pixel operations on what decoded,
 * release. Any crash, leak, sanitizer report or hang is a bug; errors are fine.
 * Images whose header claims more than FUZZ_MAX_PIXELS are only probed, so a
 * 10-byte header announcing 30000x10000 does not make each run allocate 900 MB
 * (the size caps themselves are unit-tested). Seeds: corpus/image/.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "core/arena.h"
#include "core/image.h"

#define FUZZ_MAX_INPUT (1u << 20)
#define FUZZ_MAX_PIXELS (4096LL * 4096)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct kf_image *img)
{
	static float net[64 * 64 * 3];
	struct kf_image c = { 0 };
	struct kf_err err = KF_ERR_INIT;
	int w = img->width, h = img->height;

	kf_image_to_net_input(img, 0, 0, w, h, 64, 0, net, &err);
	kf_image_to_net_input(img, w / 3, h / 4, w / 2 + 1, h, 17, 1, net, &err);
	if (kf_image_crop(img, -1, h / 2, w / 2 + 2, h, &c, &err) == KF_OK)
		kf_image_release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int min_sides[] = { 0, 512, 7 };
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	int probed;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	probed = kf_image_probe(data, size, &info, &err) == KF_OK;
	if (probed && (long long)info.width * info.height > FUZZ_MAX_PIXELS)
		return 0;
	for (size_t i = 0; i < sizeof(min_sides) / sizeof(min_sides[0]); i++) {
		struct kf_image img = { 0 };

		kf_err_clear(&err);
		/* the last pass also takes the jpeg-js colour path */
		if (kf_image_decode_ex(data, size, min_sides[i], i == 2 ? KF_IMAGE_JPEGJS_COLOR : 0,
				       &img, &info, &err) == KF_OK) {
			exercise(&img);
			kf_image_release(&img);
		}
		if (!probed)
			break;	/* decode reads the same header: one failing try is enough */
	}
	if (probed) {	/* into an arena, as the engine decodes: its own error paths */
		struct kf_arena a = KF_ARENA_INIT;
		struct kf_image img = { 0 };

		int rows[2] = { info.height / 3, info.height / 3 + 1 + (int)(size % 7) };

		if (kf_image_decode_in(&a, data, size, 512, &img, &info, &err) == KF_OK)
			exercise(&img);
		/* a band of rows: only those are read */
		if (kf_image_decode_rows_in(&a, data, size, rows, &img, &err) == KF_OK) {
			static float net[16 * 16 * 3];
			int h = rows[1] - rows[0];

			kf_image_to_net_input(&img, 0, rows[0], img.width, h, 16, 1, net, &err);
		}
		kf_arena_release(&a);
	}
	return 0;
}
