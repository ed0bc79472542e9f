/* cli_engine.c: the engine options every face command takes (--detector,
 * --min-score, --max-faces, --tiles, --tiny-size, --precision), parsed in one
 * place so detect, enroll, identify, match and the workers agree. */
#include "src/cli_engine.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/engine.h"
#include "core/match_engine.h"
#include "core/nn_gemm_q8.h"
#include "core/threshold.h"
#include "data/engines.h"
#include "data/paths.h"
#include "data/photo_match.h"
#include "data/settings.h"
#include "data/store_gallery.h"

/* --precision was given: it wins over the setting (load_engine). The
 * precision is the process's (kf_nn_set_precision), like the engine. */
static int precision_given;

int kf_cli_detect_opts(const struct kf_command *cmd, const struct kf_args *a,
		       struct kf_detect_opts *o)
{
	struct kf_detect_opts def = KF_DETECT_OPTS_DEFAULT;
	const char *v;
	int64_t n;
	char *end;
	int rc;

	*o = def;
	if ((v = kf_cli_opt(cmd, a, "detector"))) {
		int k = kf_detector_parse(v);

		if (k < 0)
			return kf_cli_usage(cmd, "--detector must be yunet, ssd or tiny, not '%s'", v);
		o->detector = (enum kf_detector_kind)k;
	}
	if ((v = kf_cli_opt(cmd, a, "precision"))) {
		int p = kf_precision_parse(v);

		if (p < 0)
			return kf_cli_usage(cmd, "--precision must be auto or fp32, not '%s'", v);
		kf_nn_set_precision((enum kf_precision)p);
		precision_given = 1;
	}
	if ((v = kf_cli_opt(cmd, a, "tiles"))) {
		if (!strcmp(v, "auto"))
			o->tiles = KF_TILES_AUTO;
		else if (!strcmp(v, "off"))
			o->tiles = KF_TILES_OFF;
		else
			return kf_cli_usage(cmd, "--tiles must be auto or off, not '%s'", v);
	}
	if ((v = kf_cli_opt(cmd, a, "min-score"))) {
		double s = strtod(v, &end);

		if (!*v || *end || !(s >= 0 && s <= 1))
			return kf_cli_usage(cmd, "--min-score must be a number from 0 to 1, not '%s'", v);
		o->min_score = (float)s;
	}
	n = o->max_faces;
	if ((rc = kf_cli_opt_int(cmd, a, "max-faces", 1, 1000, &n)) != KF_EXIT_OK)
		return rc;
	o->max_faces = (int)n;
	n = o->tiny_size;
	if ((rc = kf_cli_opt_int(cmd, a, "tiny-size", 128, 608, &n)) != KF_EXIT_OK)
		return rc;
	if (n % 32)
		return kf_cli_usage(cmd, "--tiny-size must be a multiple of 32 from 128 to 608");
	o->tiny_size = (int)n;
	return KF_EXIT_OK;
}

int kf_cli_models(struct kf_cli *cli, char *out, char *yunet)
{
	struct kf_err err = KF_ERR_INIT;

	if (kf_paths_models(cli->models_flag, KF_DEFAULT_MODELS, out, KF_CLI_PATH, &err) < 0 ||
	    kf_paths_yunet(out, KF_DEFAULT_YUNET, yunet, KF_CLI_PATH, &err) < 0)
		return kf_cli_error(&err);
	return KF_EXIT_OK;
}

int kf_cli_threshold(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		     struct kf_store *st, double *t)
{
	struct kf_err err = KF_ERR_INIT;
	const char *v = kf_cli_opt(cmd, a, "threshold");
	char *end;

	(void)cli;
	if (v && strcmp(v, "auto") == 0) {
		*t = KF_THRESHOLD_AUTO;
		return KF_EXIT_OK;
	}
	if (v) {
		*t = strtod(v, &end);
		if (!*v || *end || !(*t >= 0 && *t <= 100))
			return kf_cli_usage(cmd, "--threshold must be a number from 0 to 100 or auto, "
					    "not '%s'", v);
		return KF_EXIT_OK;
	}
	if (kf_settings_get(st, "threshold", t, &err) < 0)
		return kf_cli_error(&err);
	return KF_EXIT_OK;
}

/* Load face-api's and YuNet's networks: the detectors of load_flags, with
 * landmarks and descriptors, in the precision of --precision, else of the
 * setting when the command opened the database. */
static int load_engine(struct kf_cli *cli, unsigned load_flags, struct kf_engine **e)
{
	struct kf_err err = KF_ERR_INIT;
	char models[KF_CLI_PATH], yunet[KF_CLI_PATH];
	int rc;

	if ((rc = kf_cli_models(cli, models, yunet)) != KF_EXIT_OK)
		return rc;
	if (!precision_given && cli->store) {
		double p;

		if (kf_settings_get(cli->store, "precision", &p, &err) < 0)
			return kf_cli_error(&err);
		kf_nn_set_precision((enum kf_precision)p);
	}
	if (kf_engine_load(e, models, yunet, load_flags | KF_ENGINE_DESCRIPTORS, &err) < 0)
		return kf_cli_error(&err);
	return KF_EXIT_OK;
}

int kf_cli_load_engine(struct kf_cli *cli, const struct kf_detect_opts *o, struct kf_engine **e)
{
	return load_engine(cli, kf_engine_detector_flag(o->detector), e);
}

static const char *canonical(const char *name)
{
	if (name && !strcmp(name, KF_MATCH_ENGINE_REKOGNITION))
		return KF_MATCH_ENGINE_REKOGNITION;
	return KF_MATCH_ENGINE_LOCAL;
}

/* Refuse to mix results in gallery g: it holds `results` photos processed
 * (and `refs` references, when refs >= 0) of its `what` (engine or detector)
 * `have`; the message names the command that switches to `want`. */
static int refuse_mix(const struct kf_gallery *g, const char *what, const char *have,
		      const char *want, int64_t results, int64_t refs)
{
	fprintf(stderr, "kingface: gallery '%s' holds results of the %s %s (%lld photo%s "
		"processed", g->name, have, what, (long long)results, results == 1 ? "" : "s");
	if (refs >= 0)
		fprintf(stderr, ", %lld reference%s", (long long)refs, refs == 1 ? "" : "s");
	fprintf(stderr, "); %ss never mix: switch with 'kingface gallery %s %s %s' (its photos "
		"are then processed again)\n", what, what, kf_cli_gallery_arg(g), want);
	return KF_EXIT_ERROR;
}

/* *field = kf_strdup(value), kept as it was when out of memory. */
static void replace(char **field, const char *value)
{
	char *copy = kf_strdup(value);

	if (copy) {
		kf_free(*field);
		*field = copy;
	}
}

int kf_cli_engine_name(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		       struct kf_store *st, struct kf_gallery *g, int adopt, const char **name)
{
	struct kf_err err = KF_ERR_INIT;
	const char *want = kf_cli_opt(cmd, a, "engine"), *have;
	int64_t results, refs;

	(void)cli;
	if (want && !kf_match_engine_known(want))
		return kf_cli_usage(cmd, "--engine must be local or rekognition, not '%s'", want);
	if (!g) {
		*name = canonical(want);
		return KF_EXIT_OK;
	}
	have = canonical(g->engine);
	*name = want ? canonical(want) : have;
	if (!strcmp(*name, have))
		return KF_EXIT_OK;
	if (kf_store_gallery_engine_use(st, g, &results, &refs, &err) < 0)
		return kf_cli_error(&err);
	if (results || refs)
		return refuse_mix(g, "engine", have, *name, results, refs);
	if (!adopt)
		return KF_EXIT_OK;
	if (kf_store_gallery_set_engine(st, g->id, *name, 0, NULL, &err) < 0)
		return kf_cli_error(&err);
	replace(&g->engine, *name);
	return KF_EXIT_OK;
}

int kf_cli_detector(const struct kf_command *cmd, const struct kf_args *a, struct kf_store *st,
		    struct kf_gallery *g, int for_results, struct kf_detect_opts *o)
{
	struct kf_err err = KF_ERR_INIT;
	const char *want = kf_cli_opt(cmd, a, "detector");
	int64_t results, refs;

	if (!g || !g->detector)
		return KF_EXIT_OK;
	if (!want) {
		int k = kf_detector_parse(g->detector);

		if (k >= 0)
			o->detector = (enum kf_detector_kind)k;
		return KF_EXIT_OK;
	}
	want = kf_detector_name(o->detector);
	if (!for_results || !strcmp(want, g->detector))
		return KF_EXIT_OK;
	if (kf_store_gallery_engine_use(st, g, &results, &refs, &err) < 0)
		return kf_cli_error(&err);
	if (results)
		return refuse_mix(g, "detector", g->detector, want, results, -1);
	if (kf_store_gallery_set_detector(st, g->id, want, 0, NULL, &err) < 0)
		return kf_cli_error(&err);
	replace(&g->detector, want);
	return KF_EXIT_OK;
}

int kf_cli_engine_open(struct kf_cli *cli, const char *name, const struct kf_detect_opts *o,
		       struct kf_engine **local, struct kf_match_engine *me)
{
	struct kf_err err = KF_ERR_INIT;
	unsigned detectors = o ? kf_engine_detector_flag(o->detector) :
			     KF_ENGINE_YUNET | KF_ENGINE_SSD | KF_ENGINE_TINY;
	int rc;

	*local = NULL;
	memset(me, 0, sizeof(*me));
	if (!strcmp(name, KF_MATCH_ENGINE_LOCAL) &&
	    (rc = load_engine(cli, detectors, local)) != KF_EXIT_OK)
		return rc;
	if (kf_engines_open(name, *local, me, &err) < 0) {
		kf_engine_free(*local);
		*local = NULL;
		return kf_cli_error(&err);
	}
	return KF_EXIT_OK;
}

void kf_cli_note_alike(struct kf_cli *cli, struct kf_store *st, const struct kf_gallery *g,
		       float t)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery mg;
	char alike[600];

	if (kf_match_gallery_load(st, g->id, &mg, &err) < 0)
		return;		/* the re-match just loaded it: nothing new to say */
	if (kf_match_gallery_alike(&mg, kf_match_gallery_threshold(&mg, t), alike, sizeof(alike)))
		fprintf(cli->out, "note: %s: a face of theirs is ambiguous; if they are one client, "
			"remove one ('kingface client remove')\n", alike);
	kf_match_gallery_release(&mg);
}

int kf_cli_rematch_after(struct kf_cli *cli, struct kf_store *st, const struct kf_gallery *g,
			 cJSON *o)
{
	struct kf_err err = KF_ERR_INIT;
	int64_t faces = 0, matches = 0;
	float used;
	int rc;

	if ((rc = kf_match_gallery_refresh(st, g->id, &used, &faces, &matches, &err)) < 0) {
		kf_err_context(&err, "re-matching the gallery failed ('kingface rematch %s' does it "
			       "again)", kf_cli_gallery_arg(g));
		return kf_cli_error(&err);
	}
	if (o && rc == 1) {
		cJSON *m = cJSON_AddObjectToObject(o, "rematch");
		kf_json_int(m, "faces", faces);
		kf_json_int(m, "matches", matches);
		kf_json_num(m, "threshold", used, 2);
	} else if (o) {
		cJSON_AddNullToObject(o, "rematch");
	} else if (rc == 1) {
		if (faces > 0)
			fprintf(cli->out, "re-matched the gallery's %lld stored faces: %lld matches "
				"(threshold %g)\n", (long long)faces, (long long)matches, used);
		kf_cli_note_alike(cli, st, g, used);
	} else if (g->done > 0) {
		fprintf(cli->out, "the gallery's %lld processed photos keep their matches until "
			"processed again ('kingface process %s --all')\n", (long long)g->done,
			kf_cli_gallery_arg(g));
	}
	return KF_EXIT_OK;
}
