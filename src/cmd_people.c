/* cmd_people.c: people GALLERY: the faces that match no client, clustered
 * into people, largest first (data/store_people.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/photo_match.h"
#include "data/review.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_people.h"
#include "src/cli.h"
#include "src/cli_engine.h"

#define TEXT_FACES 3	/* faces named on a cluster's line, the representative first */

static void print_text(struct kf_cli *cli, const struct kf_people *p, size_t listed,
		       int64_t min_faces, size_t unclustered)
{
	const struct kf_people_face *f = p->faces.faces;

	for (size_t c = 0; c < listed; c++) {
		const struct kf_people_cluster *cl = &p->clusters[c];
		size_t named = 1;

		fprintf(cli->out, "cluster %d: %zu faces in %zu photo%s (%s face %d", cl->id,
			cl->nfaces, cl->nphotos, cl->nphotos == 1 ? "" : "s", f[cl->rep].key,
			f[cl->rep].face_index);
		for (size_t x = 0; x < cl->nfaces && named < TEXT_FACES; x++)
			if (cl->faces[x] != cl->rep) {
				fprintf(cli->out, ", %s face %d", f[cl->faces[x]].key,
					f[cl->faces[x]].face_index);
				named++;
			}
		fprintf(cli->out, "%s)\n", cl->nfaces > named ? ", ..." : "");
	}
	fprintf(cli->out, "%zu cluster%s of %lld or more faces; %zu unclustered face%s\n", listed,
		listed == 1 ? "" : "s", (long long)min_faces, unclustered,
		unclustered == 1 ? "" : "s");
}

static cJSON *to_json(const struct kf_people *p, size_t listed, size_t unclustered)
{
	const struct kf_people_face *f = p->faces.faces;
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "clusters");

	if (!o || !arr) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t c = 0; c < listed; c++) {
		const struct kf_people_cluster *cl = &p->clusters[c];
		cJSON *j = cJSON_CreateObject(), *photos, *rep;

		if (!j || !cJSON_AddItemToArray(arr, j))
			goto nomem;
		kf_json_int(j, "id", cl->id);
		kf_json_int(j, "faces", (int64_t)cl->nfaces);
		if (!(photos = cJSON_AddArrayToObject(j, "photos")))
			goto nomem;
		for (size_t x = 0; x < cl->nphotos; x++)
			if (!cJSON_AddItemToArray(photos, cJSON_CreateString(cl->photos[x])))
				goto nomem;
		if (!(rep = cJSON_AddObjectToObject(j, "representative")))
			goto nomem;
		kf_json_str(rep, "photo", f[cl->rep].key);
		kf_json_int(rep, "face", f[cl->rep].face_index);
	}
	kf_json_int(o, "unclustered", (int64_t)unclustered);
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

int kf_cmd_people(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_people p;
	struct kf_gallery g;
	struct kf_store *st;
	int64_t min_faces = 2;
	size_t listed = 0, unclustered = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = kf_cli_opt_int(cmd, a, "min-faces", 1, 1000, &min_faces)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if (g.engine && strcmp(g.engine, "local") != 0) {
		kf_err_set(&err, KF_E_UNSUPPORTED, "gallery '%s' uses the %s engine, which keeps no "
			   "face descriptors: people needs the local engine's", g.name, g.engine);
		rc = kf_cli_error(&err);
		goto out;
	}
	if (kf_store_people_clusters(st, g.id, NULL, &p, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	/* clusters are by size, largest first: the listed ones are a prefix */
	while (listed < p.nclusters && p.clusters[listed].nfaces >= (size_t)min_faces)
		listed++;
	for (size_t c = listed; c < p.nclusters; c++)
		unclustered += p.clusters[c].nfaces;
	if (cli->json) {
		cJSON *o = to_json(&p, listed, unclustered);

		rc = kf_cli_print_json(cli, o);
	} else {
		print_text(cli, &p, listed, min_faces, unclustered);
		rc = KF_EXIT_OK;
	}
out:
	kf_store_people_release(&p);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_people_assign(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client c = { 0 };
	struct kf_gallery g;
	struct kf_store *st;
	size_t confirmed = 0, refs = 0;
	double setting;
	char *end, name[KF_NAME_MAX + 1];
	long cluster = strtol(a->pos[1], &end, 10);
	int rc;

	if (!*a->pos[1] || *end || cluster < 1 || cluster > 1000000)
		return kf_cli_usage(cmd, "CLUSTER is a cluster id of 'kingface people' (1, 2, ...), "
				    "not '%s'", a->pos[1]);
	if (kf_store_name_typed("client", a->pos[2], name, sizeof(name), &err) < 0)
		return kf_cli_usage(cmd, "%s", err.msg);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = kf_store_client_find(st, g.id, name, &c, &err);
	if (rc == KF_E_NOTFOUND && kf_cli_opt(cmd, a, "create")) {
		kf_err_clear(&err);
		if ((rc = kf_store_client_add(st, g.id, name, NULL, &c.id, &err)) == KF_OK)
			rc = kf_store_client_find(st, g.id, name, &c, &err);
	} else if (rc == KF_E_NOTFOUND) {
		kf_err_clear(&err);
		rc = kf_err_set(&err, KF_E_NOTFOUND, "no client '%s' in this gallery (add it with "
				"--create)", name);
	}
	if (rc < 0 || kf_settings_get(st, "threshold", &setting, &err) < 0 ||
	    kf_people_assign(st, g.id, (int)cluster, c.id, (float)setting, NULL, 0, &confirmed,
			     &refs, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "cluster", cluster);
		kf_json_int(o, "clientId", c.id);
		kf_json_str(o, "clientName", c.name);
		kf_json_int(o, "confirmed", (int64_t)confirmed);
		kf_json_int(o, "references", (int64_t)refs);
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "cluster %ld is %s: %zu face%s confirmed, %zu added as references; "
			"gallery re-matched\n", cluster, c.name, confirmed, confirmed == 1 ? "" : "s",
			refs);
		kf_cli_note_alike(cli, st, &g, (float)setting);
		rc = KF_EXIT_OK;
	}
out:
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}
