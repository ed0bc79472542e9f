/* exif.h: the one EXIF field kingface needs, the orientation, from a JPEG APP1.
 *
 * EXIF is a little TIFF file inside the APP1 segment: "Exif\0\0", then a TIFF
 * header ("II*\0" little-endian or "MM\0*" big-endian, offset of IFD0), then
 * IFD0: a count and 12-byte entries {tag u16, type u16, count u32, value u32}.
 * Orientation is tag 0x0112, type SHORT, count 1, its value in the first two
 * bytes of the value field. Values (what the viewer must do to show it upright):
 *   1 as stored   2 mirror left-right   3 rotate 180   4 mirror top-bottom
 *   5 transpose   6 rotate 90 clockwise 7 transverse   8 rotate 90 counter-clockwise
 *
 * The parser is bounded by len and reads only IFD0 (no offsets are followed
 * except the one to IFD0), so it is safe on any bytes. Thread-safe, no allocation.
 */
#ifndef KF_EXIF_H
#define KF_EXIF_H

#include <stddef.h>
#include <stdint.h>

/* The orientation (1..8) in an APP1 payload (the bytes after the segment length,
 * starting with "Exif\0\0"). 0 when data is not EXIF; 1 when it is EXIF without a
 * valid orientation (absent, a value outside 1..8, malformed or truncated IFD). */
int kf_exif_orientation(const uint8_t *data, size_t len);

/* Where the stored pixel (sx, sy) of a w x h image with orientation o lands in
 * the upright image: *ox, *oy. Orientations 5..8 swap the sides (upright is
 * h x w). Any o outside 2..8 is the identity. */
void kf_exif_dest(int o, int w, int h, int sx, int sy, int *ox, int *oy);

#endif
