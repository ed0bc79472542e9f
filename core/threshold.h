/* threshold.h: the "auto" threshold: the similarity at which a face matches a
 * client, chosen for the size and the look of the gallery.
 *
 * A stranger's face is compared with every client, so the more clients, the
 * more chances that one of them is close by accident: a threshold that is
 * fine for 10 clients lets strangers through at 500. The clients of a gallery
 * are different people, so the distances between references of different
 * clients are impostor pairs drawn from the gallery's own population (a
 * school class looks more alike than passers-by). kf_threshold_auto() fits a
 * normal distribution to those distances, blended with a prior of
 * KF_THRESHOLD_PRIOR_PAIRS pairs for small galleries, and takes the
 * similarity at which a face of that population that is nobody's expects
 * fewer than `target` false matches per 1,000 such faces, each client one
 * chance:
 *
 *     1000 * clients * P(impostor distance < d) <= target
 *
 * (a client's distance is the mean over its references, core/search.h, whose
 * tail is thinner than one pair's: one pair's P is an upper bound). P is the
 * normal's, or the share of the gallery's pairs below d when that is higher:
 * a few look-alikes among many clients are a tail no normal fitted to the
 * whole gallery sees.
 * never below KF_THRESHOLD_FLOOR (80, face-api's 0.6) nor above
 * KF_THRESHOLD_CEIL. The normal's lower tail is heavier than the measured
 * one, so the real rate is lower than the target (docs/similarity.md).
 *
 * The thresholds of the settings and the options are numbers 0..100 or
 * KF_THRESHOLD_AUTO; a gallery resolves auto with this before matching.
 * Pure computation, thread-safe.
 */
#ifndef KF_THRESHOLD_H
#define KF_THRESHOLD_H

#include <stddef.h>

#include "core/search.h"

#define KF_THRESHOLD_AUTO (-1.0f)	/* a threshold still to resolve */
#define KF_THRESHOLD_TARGET 5.0		/* false matches per 1,000 unknown faces */
#define KF_THRESHOLD_FLOOR 80.0f
#define KF_THRESHOLD_CEIL 99.0f
#define KF_THRESHOLD_PRIOR_MEAN 0.82	/* impostor distances of the dev sets */
#define KF_THRESHOLD_PRIOR_SD 0.08
#define KF_THRESHOLD_PRIOR_PAIRS 6
#define KF_THRESHOLD_MAX_PAIRS 500000	/* larger galleries: a fixed sample */
/* Two clients with references closer than this (similarity 99.97) are one
 * person: the same person enrolled as two clients, or twins. Their pairs say
 * nothing of how close a stranger comes, so all of them are left out of the
 * model, and said (struct kf_threshold_auto same_clients, closest_*). Measured: different
 * people's pairs from 0.48 up, half of one person's pairs under 0.34. */
#define KF_THRESHOLD_SAME_PERSON 0.40f

struct kf_threshold_auto {
	float threshold;	/* similarity in force, rounded up to 0.1 */
	double expected;	/* false matches per 1,000 unknown faces at it */
	size_t clients, refs;	/* of the gallery */
	size_t pairs;		/* impostor pairs measured */
	double mean, sd;	/* the distance model, prior included */
	int bound;		/* 0: the target decided; -1 the floor; +1 the ceiling */
	size_t same_clients;	/* pairs of clients that are one person (KF_THRESHOLD_SAME_PERSON) */
	size_t same;		/* their pairs of references, left out */
	int64_t closest_a, closest_b;	/* the clients with the closest references (0: none) */
	float closest_d;		/* and those references' distance */
};

/* The auto threshold of the references in s for target false matches per
 * 1,000 unknown faces (KF_THRESHOLD_TARGET), leaving out the pairs of
 * clients that are one person (KF_THRESHOLD_SAME_PERSON; counted in out).
 * out->closest_* names the two clients with the closest references. An
 * empty s gets the floor.
 * KF_E_NOMEM (the pairs take up to 2 MB). */
int kf_threshold_auto(const struct kf_search *s, double target, struct kf_threshold_auto *out,
		      struct kf_err *err);

/* The same from n measured impostor distances (sorted in place) for that many
 * clients; out->refs is left 0. For simulations (bench/accuracy). */
void kf_threshold_solve(float *pairs, size_t n, size_t clients, double target,
			struct kf_threshold_auto *out);

/* Expected false matches per 1,000 unknown faces at similarity t for the
 * normal model (mean, sd) alone and that many clients. */
double kf_threshold_expected(double mean, double sd, size_t clients, float t);

#endif
