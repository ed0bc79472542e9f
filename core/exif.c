/* exif.c: EXIF orientation from a JPEG APP1 payload (see exif.h). */
#include "core/exif.h"

#include <string.h>

#define EXIF_TAG_ORIENTATION 0x0112
#define EXIF_TYPE_SHORT 3
#define EXIF_TYPE_LONG 4

static unsigned rd16(const uint8_t *p, int le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | (unsigned)p[1];
}

static uint32_t rd32(const uint8_t *p, int le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
		  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int kf_exif_orientation(const uint8_t *data, size_t len)
{
	const uint8_t *tiff;
	size_t tlen, ifd, n;
	int le;

	if (!data || len < 6 || memcmp(data, "Exif\0\0", 6) != 0)
		return 0;
	tiff = data + 6;
	tlen = len - 6;
	if (tlen < 8)
		return 1;
	if (memcmp(tiff, "II*\0", 4) == 0)
		le = 1;
	else if (memcmp(tiff, "MM\0*", 4) == 0)
		le = 0;
	else
		return 1;
	ifd = rd32(tiff + 4, le);
	if (ifd > tlen || tlen - ifd < 2)
		return 1;
	n = rd16(tiff + ifd, le);
	/* entries that fit: a count larger than the segment is just clipped */
	if (n > (tlen - ifd - 2) / 12)
		n = (tlen - ifd - 2) / 12;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = tiff + ifd + 2 + 12 * i;
		unsigned type, v;

		if (rd16(e, le) != EXIF_TAG_ORIENTATION)
			continue;
		type = rd16(e + 2, le);
		if (rd32(e + 4, le) != 1)
			return 1;
		if (type == EXIF_TYPE_SHORT)
			v = rd16(e + 8, le);
		else if (type == EXIF_TYPE_LONG)	/* a few writers use LONG */
			v = (unsigned)rd32(e + 8, le);
		else
			return 1;
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

void kf_exif_dest(int o, int w, int h, int sx, int sy, int *ox, int *oy)
{
	switch (o) {
	case 2: *ox = w - 1 - sx; *oy = sy; break;		/* mirror left-right */
	case 3: *ox = w - 1 - sx; *oy = h - 1 - sy; break;	/* rotate 180 */
	case 4: *ox = sx; *oy = h - 1 - sy; break;		/* mirror top-bottom */
	case 5: *ox = sy; *oy = sx; break;			/* transpose */
	case 6: *ox = h - 1 - sy; *oy = sx; break;		/* rotate 90 clockwise */
	case 7: *ox = h - 1 - sy; *oy = w - 1 - sx; break;	/* transverse */
	case 8: *ox = sy; *oy = w - 1 - sx; break;		/* rotate 90 counter-clockwise */
	default: *ox = sx; *oy = sy; break;
	}
}
