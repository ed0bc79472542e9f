/* cmd_export.c: export GALLERY --to DIR: each client's photos in a folder of
 * its own, and a manifest (data/export.h). */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "data/export.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "src/cli.h"

static void existing(void *ctx, const char *path)
{
	(void)ctx;
	fprintf(stderr, "kingface: %s is another file: left as it is, the photo not exported "
		"there\n", path);
}

int kf_cmd_export(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_export_opts o = { NULL, 0, 0, existing, NULL };
	struct kf_export_stats stats;
	const char *client = kf_cli_opt(cmd, a, "client");
	struct kf_client c = { 0 };
	struct kf_gallery g;
	struct kf_store *st;
	int rc;

	if (!(o.dir = kf_cli_opt(cmd, a, "to")) || !*o.dir)
		return kf_cli_usage(cmd, "--to DIR is required");
	o.copy = kf_cli_opt(cmd, a, "copy") != NULL;
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if (client && kf_store_client_find(st, g.id, client, &c, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	o.client_id = c.id;
	if (kf_export(st, g.id, &o, &stats, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		cJSON *j = cJSON_CreateObject();

		kf_json_str(j, "dir", o.dir);
		kf_json_int(j, "clients", (int64_t)stats.clients);
		kf_json_int(j, "photos", (int64_t)stats.photos);
		kf_json_int(j, "linked", (int64_t)stats.linked);
		kf_json_int(j, "copied", (int64_t)stats.copied);
		kf_json_int(j, "existing", (int64_t)stats.existing);
		kf_json_int(j, "kept", (int64_t)stats.kept);
		rc = kf_cli_print_json(cli, j);
	} else {
		fprintf(cli->out, "exported %zu photo%s of %zu client%s to %s (%zu linked, %zu "
			"copied, %zu already there", stats.photos, stats.photos == 1 ? "" : "s",
			stats.clients, stats.clients == 1 ? "" : "s", o.dir, stats.linked,
			stats.copied, stats.existing - stats.kept);
		if (stats.kept)
			fprintf(cli->out, ", %zu %s, named above", stats.kept,
				kf_export_kept_words(stats.kept));
		fprintf(cli->out, "); manifest %s/manifest.csv\n", o.dir);
		rc = KF_EXIT_OK;
	}
out:
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}
