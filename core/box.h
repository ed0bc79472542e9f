/* box.h: axis-aligned boxes in pixels of the upright image.
 *
 * The detectors, the landmark and descriptor crops and the match pipeline all
 * speak this type; Rekognition-style fractions {Width, Height, Left, Top} are
 * made from it only at the edges (JSON, the store).
 */
#ifndef KF_BOX_H
#define KF_BOX_H

struct kf_box {
	float x, y;		/* top-left corner */
	float width, height;
};

/* Intersection over union; 0 when either box is empty. */
float kf_box_iou(const struct kf_box *a, const struct kf_box *b);

#endif
