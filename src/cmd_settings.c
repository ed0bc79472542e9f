/* cmd_settings.c: settings get / set. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "core/threshold.h"
#include "data/settings.h"
#include "src/cli.h"

/* The usage error for an unknown key, naming the known ones. */
static int unknown(const struct kf_command *cmd, const char *key)
{
	char keys[256];
	size_t len = 0;

	keys[0] = '\0';
	for (const struct kf_setting_def *d = kf_settings; d->key && len < sizeof(keys); d++)
		len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s",
					d == kf_settings ? "" : ", ", d->key);
	return kf_cli_usage(cmd, "no setting '%s' (the settings: %s)", key, keys);
}

int kf_cmd_settings_get(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	cJSON *o = NULL;
	int rc;

	if (a->npos == 1 && !kf_settings_find(a->pos[0]))
		return unknown(cmd, a->pos[0]);
	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (cli->json)
		o = cJSON_CreateObject();
	for (const struct kf_setting_def *d = kf_settings; d->key; d++) {
		char text[32], def[32];
		double v;

		if (a->npos == 1 && d != kf_settings_find(a->pos[0]))
			continue;
		if (kf_settings_get(st, d->key, &v, &err) < 0) {
			cJSON_Delete(o);
			return kf_cli_error(&err);
		}
		kf_settings_text(d, v, text, sizeof(text));
		if (o && ((d->can_auto && v == KF_THRESHOLD_AUTO) || d->choices))
			kf_json_str(o, d->key, text);
		else if (o)
			cJSON_AddNumberToObject(o, d->key, v);
		else if (a->npos == 1)
			fprintf(cli->out, "%s\n", text);
		else
			fprintf(cli->out, "%-16s %-8s %s (default %s)\n", d->key, text, d->help,
				kf_settings_text(d, d->def, def, sizeof(def)));
	}
	return o ? kf_cli_print_json(cli, o) : KF_EXIT_OK;
}

int kf_cmd_settings_set(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	int rc;

	if (!kf_settings_find(a->pos[0]))
		return unknown(cmd, a->pos[0]);
	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (kf_settings_set(st, a->pos[0], a->pos[1], &err) < 0)
		return kf_cli_error(&err);
	if (!cli->json)
		fprintf(cli->out, "%s = %s\n", a->pos[0], a->pos[1]);
	else {
		cJSON *o = cJSON_CreateObject();
		kf_json_str(o, "key", a->pos[0]);
		kf_json_str(o, "value", a->pos[1]);
		return kf_cli_print_json(cli, o);
	}
	return KF_EXIT_OK;
}
