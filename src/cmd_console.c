/* cmd_console.c: `kingface` with no command, or `kingface console`: the
 * ncurses console (ui/). Resolves the database, the models and the worker
 * concurrency as the other commands do, then hands over to kf_ui_run(). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/paths.h"
#include "src/cli.h"
#include "ui/kf_ui.h"

int kf_cmd_console(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT, merr = KF_ERR_INIT;
	struct kf_ui_opts o = { 0 };
	const char *env = getenv("WORKER_CONCURRENCY");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char db[4096], models[4096], yunet[4096];

	o.headless = kf_cli_opt(cmd, a, "headless") != NULL;
	o.readonly = kf_cli_opt(cmd, a, "readonly") != NULL;
	if (!o.headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return kf_cli_usage(cmd, "the console needs a terminal (or --headless)");
	if (kf_paths_db(cli->db_flag, db, sizeof(db), &err) < 0)
		return kf_cli_error(&err);
	o.db_path = db;
	if (kf_paths_models(cli->models_flag, KF_DEFAULT_MODELS, models, sizeof(models), &merr) == 0 &&
	    kf_paths_yunet(models, KF_DEFAULT_YUNET, yunet, sizeof(yunet), &merr) == 0) {
		o.models_dir = models;
		o.yunet_dir = yunet;
	} else {
		o.models_error = merr.msg;
	}
	o.concurrency = cores > 0 ? (int)cores : 1;
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v < 1 || v > 63)
			return kf_cli_usage(cmd, "WORKER_CONCURRENCY must be from 1 to 63, not '%s'", env);
		o.concurrency = (int)v;
	}
	if (o.concurrency > 63)
		o.concurrency = 63;
	kf_cli_warn_db(db);	/* before the screen is taken: seen after quitting */
	if (kf_ui_run(&o, &err) < 0)
		return kf_cli_error(&err);
	return KF_EXIT_OK;
}
