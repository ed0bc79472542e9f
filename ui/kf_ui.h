/* kf_ui.h: the console, kingface's interactive front end (`kingface` with no
 * command). The only header src/ includes from ui/.
 *
 * The console opens its own store connection on the UI thread; processing runs
 * on the worker pool (data/worker.h) with connections of its own. Only the UI
 * thread calls curses. See docs/console.md for the screens and keys.
 */
#ifndef KF_UI_H
#define KF_UI_H

#include "core/err.h"

struct kf_ui_opts {
	const char *db_path;		/* resolved database file */
	const char *models_dir;		/* resolved model folder, or NULL when missing */
	const char *yunet_dir;		/* resolved YuNet folder (set with models_dir) */
	const char *models_error;	/* why models_dir is NULL (shown when needed) */
	int readonly;			/* refuse every change */
	int headless;			/* run without a terminal (tests): curses on
					 * stdout/stdin, TERM defaulting to xterm; ends
					 * when stdin ends */
	int concurrency;		/* worker threads for processing, 1..63 */
};

/* Run the console until the user quits. Returns KF_OK, or an error (the store
 * cannot be opened, the terminal cannot be set up) with err filled; the
 * terminal is restored in every case. */
int kf_ui_run(const struct kf_ui_opts *o, struct kf_err *err);

#endif
