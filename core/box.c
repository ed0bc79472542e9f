/* box.c: box geometry (box.h). */
#include "core/box.h"

float kf_box_iou(const struct kf_box *a, const struct kf_box *b)
{
	float x0 = a->x > b->x ? a->x : b->x;
	float y0 = a->y > b->y ? a->y : b->y;
	float x1 = a->x + a->width < b->x + b->width ? a->x + a->width : b->x + b->width;
	float y1 = a->y + a->height < b->y + b->height ? a->y + a->height : b->y + b->height;
	float inter, uni;

	if (a->width <= 0 || a->height <= 0 || b->width <= 0 || b->height <= 0 ||
	    x1 <= x0 || y1 <= y0)
		return 0;
	inter = (x1 - x0) * (y1 - y0);
	uni = a->width * a->height + b->width * b->height - inter;
	return uni > 0 ? inter / uni : 0;
}
