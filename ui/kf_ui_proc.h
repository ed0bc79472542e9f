/* kf_ui_proc.h: processing a gallery from the console: the worker pool runs
 * in the background (data/worker.h) and the UI thread reads its counters each
 * tick (kf_worker_snapshot), so the console stays responsive. One run at a
 * time; leaving a screen does not stop it; a stop (Esc) lets in-flight photos
 * finish and is joined once the pool says it has finished, never blocking the
 * UI. The final X/Y stays on the status line. A gallery with a paid engine
 * (Rekognition) is processed only after a y to "about to make at least N
 * Rekognition calls", as `kingface process` asks. */
#ifndef KF_UI_PROC_H
#define KF_UI_PROC_H

#include <stdint.h>

#include "core/pool.h"

struct kf_worker_run;

struct kf_ui_proc {
	struct kf_worker_run *run;	/* non-NULL while the pool runs */
	int64_t gallery_id;
	char gallery[96];
	struct kf_pool_snapshot snap;	/* the last one read */
	int shown;			/* the bar has something to show */
	int stopping;
	char error[256];		/* the run's own failure, or "" */
	int64_t last_x;			/* X at the last tick (reloads on change) */
	int64_t paid_ok;		/* gallery whose paid (Rekognition) run was confirmed */
	int64_t paid_ask;		/* gallery the confirmation is asked for */
};

#endif
