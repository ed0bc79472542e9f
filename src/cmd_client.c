/* cmd_client.c: client add, list, rename, remove. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "data/engines.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "src/cli_engine.h"

static cJSON *client_json(const struct kf_client *c)
{
	cJSON *o = cJSON_CreateObject();

	kf_json_int(o, "id", c->id);
	kf_json_int(o, "galleryId", c->gallery_id);
	kf_json_str(o, "name", c->name);
	kf_json_str(o, "externalId", c->external_id);
	kf_json_int(o, "faces", c->faces);
	kf_json_int(o, "photos", c->photos);
	kf_json_int(o, "createdAt", c->created_at);
	return o;
}

int kf_cmd_client_add(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_client c;
	struct kf_store *st;
	char name[KF_NAME_MAX + 1];
	int64_t id;
	int rc;

	if (kf_store_name_typed("client", a->pos[1], name, sizeof(name), &err) < 0)
		return kf_cli_usage(cmd, "%s", err.msg);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	int64_t gallery_id = g.id;
	kf_store_gallery_release(&g);
	rc = kf_store_client_add(st, gallery_id, name, kf_cli_opt(cmd, a, "external-id"), &id,
				 &err);
	if (rc < 0)
		return kf_cli_error(&err);
	if (!cli->json) {
		fprintf(cli->out, "added client '%s' (id %lld)\n", name, (long long)id);
		return KF_EXIT_OK;
	}
	char ref[24];
	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	if (kf_store_client_find(st, gallery_id, ref, &c, &err) < 0)
		return kf_cli_error(&err);
	rc = kf_cli_print_json(cli, client_json(&c));
	kf_store_client_release(&c);
	return rc;
}

int kf_cmd_client_list(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client *list;
	struct kf_gallery g;
	struct kf_store *st;
	size_t n;
	int rc;
	(void)cmd;

	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = kf_store_client_list(st, g.id, &list, &n, &err);
	if (rc < 0) {
		kf_store_gallery_release(&g);
		return kf_cli_error(&err);
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		kf_json_int(o, "galleryId", g.id);
		arr = cJSON_AddArrayToObject(o, "clients");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, client_json(&list[i]));
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n == 0)
			fprintf(cli->out, "gallery '%s' has no clients yet: kingface client add %s "
				"NAME\n", g.name, kf_cli_gallery_arg(&g));
		else
			fprintf(cli->out, "%5s  %-28s %-12s %6s %7s\n", "ID", "NAME", "EXTERNAL",
				"FACES", "PHOTOS");
		for (size_t i = 0; i < n; i++)
			fprintf(cli->out, "%5lld  %-*s %-12s %6lld %7lld\n", (long long)list[i].id,
				kf_cli_pad(list[i].name, 28), list[i].name, list[i].external_id ? list[i].external_id : "-",
				(long long)list[i].faces, (long long)list[i].photos);
		rc = KF_EXIT_OK;
	}
	kf_store_client_list_free(list, n);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_client_rename(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client c;
	struct kf_store *st;
	char name[KF_NAME_MAX + 1];
	int rc;

	if (kf_store_name_typed("client", a->pos[2], name, sizeof(name), &err) < 0)
		return kf_cli_usage(cmd, "%s", err.msg);
	if ((rc = kf_cli_client(cli, a, &st, NULL, &c)) != KF_EXIT_OK)
		return rc;
	rc = kf_store_client_rename(st, c.id, name, &err);
	if (rc == KF_OK && !cli->json)
		fprintf(cli->out, "renamed client '%s' to '%s'\n", c.name, name);
	if (rc == KF_OK && cli->json) {
		cJSON *o = cJSON_CreateObject();
		kf_json_int(o, "id", c.id);
		kf_json_str(o, "name", name);
		kf_json_str(o, "oldName", c.name);
		kf_cli_print_json(cli, o);
	}
	kf_store_client_release(&c);
	return rc < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}

int kf_cli_forget_remote(const struct kf_command *cmd, const struct kf_args *a,
			 struct kf_store *st, int64_t gallery_id, int64_t client_id, int64_t ref_id,
			 const char *what)
{
	struct kf_err err = KF_ERR_INIT;

	if (kf_engines_forget(st, gallery_id, client_id, ref_id, NULL, &err) == KF_OK)
		return KF_EXIT_OK;
	if (!kf_cli_opt(cmd, a, "force")) {
		fprintf(stderr, "kingface: %s; %s not removed: retry when connected, or --force "
			"to remove it here and leave the faces in the collection\n", err.msg, what);
		return KF_EXIT_ERROR;
	}
	fprintf(stderr, "kingface: warning: %s; removing %s here anyway (--force): its faces stay "
		"in Rekognition collection 'kingface-%lld'\n", err.msg, what, (long long)gallery_id);
	return KF_EXIT_OK;
}

int kf_cmd_client_remove(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client_removed r;
	struct kf_gallery g;
	struct kf_client c;
	struct kf_store *st;
	cJSON *o = NULL;
	char what[256];
	int rc;

	if ((rc = kf_cli_client(cli, a, &st, &g, &c)) != KF_EXIT_OK)
		return rc;
	if (!kf_cli_opt(cmd, a, "yes") &&
	    !kf_cli_confirm("Remove client '%s' with %lld enrolled face(s) and its matches?",
			    c.name, (long long)c.faces)) {
		fprintf(stderr, "kingface: client '%s' not removed (confirm, or pass --yes)\n",
			c.name);
		rc = KF_EXIT_ERROR;
		goto out;
	}
	snprintf(what, sizeof(what), "client '%.200s'", c.name);
	if ((rc = kf_cli_forget_remote(cmd, a, st, c.gallery_id, c.id, 0, what)) != KF_EXIT_OK)
		goto out;
	if (kf_store_client_remove(st, c.id, &r, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "id", c.id);
		kf_json_str(o, "name", c.name);
		kf_json_int(o, "faces", r.faces);
		kf_json_int(o, "matches", r.matches);
		kf_json_int(o, "cacheEntries", r.cache_entries);
	} else {
		fprintf(cli->out, "removed client '%s': %lld enrolled face(s) (biometric data), "
			"%lld match(es), %lld cached result(s)\n", c.name, (long long)r.faces,
			(long long)r.matches, (long long)r.cache_entries);
	}
	/* a face that was in doubt between it and another client may be the
	 * other's now */
	if ((rc = kf_cli_rematch_after(cli, st, &g, o)) == KF_EXIT_OK && o) {
		rc = kf_cli_print_json(cli, o);
		o = NULL;
	}
out:
	cJSON_Delete(o);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}
