/* cli_engine.h: engine options on the command line (see cli_engine.c). */
#ifndef KF_CLI_ENGINE_H
#define KF_CLI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/detect.h"
#include "src/cli.h"

/* Rows for a command's option table (end the table with its NULL row). */
#define KF_DETECT_OPT_ROWS \
	{ "detector", "yunet|ssd|tiny", "face detector (default: the gallery's, else yunet; " \
	  "ssd and tiny are face-api's; see 'kingface gallery detector')" }, \
	{ "min-score", "F", "minimum detection score, 0 to 1 (default 0.5)" }, \
	{ "max-faces", "N", "at most N faces per photo, the largest kept (default 100)" }, \
	{ "tiles", "auto|off", "ssd and tiny: tile large photos to find small faces " \
	  "(default auto; off = face-api's single pass); no effect with yunet" }, \
	{ "tiny-size", "N", "tiny detector input size, multiple of 32, 128 to 608 " \
	  "(default 416)" }, \
	{ "precision", "auto|fp32", "auto: the recognition net in int8 where the CPU has " \
	  "dot products; fp32: float32 only (default: the setting 'precision'; detect: " \
	  "auto)" }

/* The --engine row of enroll, identify, match, process and worker. */
#define KF_ENGINE_OPT_ROW \
	{ "engine", "local|rekognition", "match engine (default: the gallery's, local for " \
	  "a new one; see docs/engines.md)" }

struct cJSON;
struct kf_engine;
struct kf_face;
struct kf_gallery;
struct kf_match_engine;

/* JSON of one face in a w x h photo: {"score", "box" (pixels), "boundingBox"
 * (fractions, Rekognition's names), "recognizable"} plus "landmarks" and "descriptor" when the
 * face has them (cmd_detect.c). */
struct cJSON *kf_cli_face_json(const struct kf_face *f, int w, int h);

/* Fill o from the command's options (defaults for absent ones). Prints a usage
 * error and returns KF_EXIT_USAGE for a bad value. */
int kf_cli_detect_opts(const struct kf_command *cmd, const struct kf_args *a,
		       struct kf_detect_opts *o);

/* Resolve the model folders: face-api's into out (--models, KINGFACE_MODELS,
 * the set-up folder) and YuNet's into yunet (size KF_CLI_PATH each: --models
 * when it holds YuNet's files, else the repository's models/yunet); prints
 * the error itself. */
#define KF_CLI_PATH 4096
int kf_cli_models(struct kf_cli *cli, char *out, char *yunet);

/* Load the engine for matching: o's detector, landmarks and descriptors
 * (*e: caller kf_engine_free()s). Prints the error itself. */
int kf_cli_load_engine(struct kf_cli *cli, const struct kf_detect_opts *o, struct kf_engine **e);

/* The match threshold: --threshold, else the "threshold" setting: 0..100, or
 * KF_THRESHOLD_AUTO for the gallery to resolve (core/threshold.h). Prints the
 * error itself (usage error for a bad --threshold). */
int kf_cli_threshold(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		     struct kf_store *st, double *t);

struct kf_store;
struct kf_photo_match_opts;

/* The options of a photo match: engine options, --threshold, --max-faces and
 * --no-cache, with the settings (threshold, max-faces, cache-ttl-days,
 * max-attempts) for what is not given (cmd_match.c). */
int kf_cli_match_opts(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		      struct kf_store *st, struct kf_photo_match_opts *o);

/* The engine for gallery g (may be NULL: --engine, else "local"): --engine,
 * else the gallery's. --engine naming another engine than that of the
 * gallery's stored results or references is refused (the message names
 * 'kingface gallery engine'); an empty gallery takes it when adopt is set
 * (galleries.engine and g->engine updated). *name is a static string. Prints
 * its errors; returns an exit status. */
int kf_cli_engine_name(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		       struct kf_store *st, struct kf_gallery *g, int adopt, const char **name);

/* The detector for gallery g (may be NULL) into o->detector, which holds
 * --detector or the default (kf_cli_detect_opts): without --detector, the
 * gallery's when it has one. for_results (process, match, worker: results
 * will be stored): --detector naming another detector than that of the
 * gallery's stored results is refused (the message names 'kingface gallery
 * detector'); a gallery without results takes it (galleries.detector and
 * g->detector updated). A gallery without a detector gets one with its first
 * results (kf_photo_match). Prints its errors; returns an exit status. */
int kf_cli_detector(const struct kf_command *cmd, const struct kf_args *a, struct kf_store *st,
		    struct kf_gallery *g, int for_results, struct kf_detect_opts *o);

/* Open engine name into *me: "local" loads the networks for o's detector
 * (every detector when o is NULL: a worker for any gallery uses each one's),
 * with descriptors, into *local, which the caller kf_engine_free()s after
 * closing me; "rekognition" opens the client (*local stays NULL). Prints its
 * errors; returns an exit status. */
int kf_cli_engine_open(struct kf_cli *cli, const char *name, const struct kf_detect_opts *o,
		       struct kf_engine **local, struct kf_match_engine *me);

/* Before removing references of the gallery (of client_id, or its ref_id;
 * 0 for all): delete the remote ones (data/engines.h). When that fails: with
 * --force a warning and KF_EXIT_OK, else the error saying `what` was not
 * removed and KF_EXIT_ERROR (cmd_client.c). */
int kf_cli_forget_remote(const struct kf_command *cmd, const struct kf_args *a,
			 struct kf_store *st, int64_t gallery_id, int64_t client_id, int64_t ref_id,
			 const char *what);

/* After references changed (threshold t, or KF_THRESHOLD_AUTO): a "note:"
 * line when two clients look alike (data/photo_match.h
 * kf_match_gallery_alike), the moment to fix it. */
void kf_cli_note_alike(struct kf_cli *cli, struct kf_store *st, const struct kf_gallery *g,
		       float t);

/* After a gallery's references changed (enroll, unenroll, client remove):
 * its stored faces matched again at the threshold setting
 * (kf_match_gallery_rematch), said on cli->out, or with --json into o as
 * "rematch" ({faces, matches, threshold}, null for a remote engine). Prints
 * its errors; returns an exit status. */
int kf_cli_rematch_after(struct kf_cli *cli, struct kf_store *st, const struct kf_gallery *g,
			 struct cJSON *o);

#endif
