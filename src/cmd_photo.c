/* cmd_photo.c: photo list, and the paging options it shares with results. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "src/cli.h"

#define MAX_LIMIT 500

int kf_cli_opt_page(const struct kf_command *cmd, const struct kf_args *a, int64_t *page,
		    int64_t *limit)
{
	int rc;

	*page = 1;
	*limit = 50;
	if ((rc = kf_cli_opt_int(cmd, a, "page", 1, INT32_MAX, page)) != KF_EXIT_OK)
		return rc;
	return kf_cli_opt_int(cmd, a, "limit", 1, MAX_LIMIT, limit);
}

int kf_cmd_photo_list(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *status = kf_cli_opt(cmd, a, "status");
	int64_t page, limit, total;
	struct kf_photo *list;
	struct kf_gallery g;
	struct kf_store *st;
	size_t n;
	int rc;

	if (status && !kf_store_photo_status_valid(status) && strcmp(status, "missing") != 0)
		return kf_cli_usage(cmd, "--status must be pending, running, done, failed, dead or "
				    "missing, not '%s'", status);
	if ((rc = kf_cli_opt_page(cmd, a, &page, &limit)) != KF_EXIT_OK ||
	    (rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = kf_store_photo_list(st, g.id, status, (page - 1) * limit, limit, &list, &n, &total,
				 &err);
	if (rc < 0) {
		kf_store_gallery_release(&g);
		return kf_cli_error(&err);
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		kf_json_int(o, "galleryId", g.id);
		arr = cJSON_AddArrayToObject(o, "photos");
		for (size_t i = 0; i < n; i++) {
			cJSON *p = cJSON_CreateObject();

			kf_json_int(p, "id", list[i].id);
			kf_json_str(p, "key", list[i].key);
			kf_json_str(p, "status", list[i].status);
			kf_json_str(p, "error", list[i].error);
			if (list[i].width > 0) {
				kf_json_int(p, "width", list[i].width);
				kf_json_int(p, "height", list[i].height);
			} else {
				cJSON_AddNullToObject(p, "width");
				cJSON_AddNullToObject(p, "height");
			}
			kf_json_str(p, "etag", list[i].etag);
			kf_json_int(p, "size", list[i].size);
			cJSON_AddBoolToObject(p, "missing", list[i].missing);
			kf_json_int(p, "attempts", list[i].attempts);
			kf_json_int(p, "faces", list[i].faces);
			kf_json_int(p, "matches", list[i].matches);
			cJSON_AddItemToArray(arr, p);
		}
		kf_json_int(o, "total", total);
		kf_json_int(o, "page", page);
		kf_json_int(o, "limit", limit);
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n > 0)
			fprintf(cli->out, "%6s  %-8s %-11s %5s %7s  %s\n", "ID", "STATUS", "SIZE",
				"FACES", "MATCHES", "PHOTO");
		for (size_t i = 0; i < n; i++) {
			char dims[24] = "-";

			if (list[i].width > 0)
				snprintf(dims, sizeof(dims), "%dx%d", list[i].width, list[i].height);
			fprintf(cli->out, "%6lld  %-8s %-11s %5lld %7lld  %s%s%s%s\n",
				(long long)list[i].id, list[i].status, dims, (long long)list[i].faces,
				(long long)list[i].matches, list[i].key,
				list[i].missing ? "  (missing from the folder)" : "",
				list[i].error ? "  " : "", list[i].error ? list[i].error : "");
		}
		int64_t pages = (total + limit - 1) / limit;
		fprintf(cli->out, "%lld photo(s)%s%s, page %lld of %lld\n", (long long)total,
			status ? " " : "", status ? status : "", (long long)page,
			(long long)(pages ? pages : 1));
		rc = KF_EXIT_OK;
	}
	kf_store_photo_list_free(list, n);
	kf_store_gallery_release(&g);
	return rc;
}
