/* cli.h: the command line, kingface's API.
 *
 * Each command is a row of a table (src/commands.c) with its usage, help text,
 * option table and handler, like tmux's cmd_table: `kingface --help` and
 * `kingface COMMAND --help` are generated from it. A command's options may come
 * before or after its arguments; the global options (--db, --models, --json,
 * --help) are accepted by every command. Handlers return the exit status:
 * 0 done, 1 runtime error, 2 usage error. There is no limit on the number of
 * positional arguments; a command whose option table has KF_FROM_OPT_ROW also
 * reads them from a file or standard input (--from FILE), for lists longer
 * than a command line may be.
 */
#ifndef KF_CLI_H
#define KF_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct cJSON;
struct kf_client;
struct kf_config;
struct kf_gallery;
struct kf_job_row;
struct kf_store;

#define KF_EXIT_OK 0
#define KF_EXIT_ERROR 1
#define KF_EXIT_USAGE 2

#define KF_CLI_MAX_OPTS 24

struct kf_opt {
	const char *name;	/* long name without "--" */
	const char *arg;	/* argument name for help, or NULL for a flag */
	const char *help;
};

/* The option row of the commands that take a list of paths (IMAGE...): the
 * parser appends FILE's lines to the positional arguments (kf_cli_args_from). */
#define KF_FROM_OPT_ROW \
	{ "from", "FILE", "also the images listed in FILE, one path a line (- : standard input)" }

/* The parsed arguments. Zero-initialise; kf_cli_args_release frees them. */
struct kf_args {
	const char **pos;	/* positional arguments, npos of them, in order */
	int npos, cap;
	char *from;		/* the text read by --from, which pos[] points into */
	const char *val[KF_CLI_MAX_OPTS];	/* by option index; "" for a set flag */
};

struct kf_cli;

struct kf_command {
	const char *name;		/* "gallery import" */
	const char *args;		/* "DIR" */
	const char *summary;		/* one line for `kingface --help` */
	const char *help;		/* paragraphs for `kingface COMMAND --help` */
	int min_pos, max_pos;		/* max_pos < 0: unbounded */
	const struct kf_opt *opts;	/* NULL-terminated, command options only */
	int (*run)(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a);
};

struct kf_cli {
	const char *db_flag;		/* --db */
	const char *models_flag;	/* --models */
	int json;			/* --json */
	FILE *out;			/* stdout */
	struct kf_store *store;		/* opened by kf_cli_store() */
};

/* The command table, NULL-name terminated (commands.c). */
extern const struct kf_command kf_commands[];

/* Append arg to the positional arguments. arg is not copied: it must live as
 * long as a. Returns KF_OK, or KF_E_NOMEM (a unchanged). */
int kf_cli_args_push(struct kf_args *a, const char *arg);

/* Append the lines of file ("-": standard input) to the positional arguments:
 * one path a line, taken whole (spaces included) but for a final CR; blank
 * lines are skipped. Call once per a. Returns KF_OK, or < 0 with err filled
 * ("cannot read 'FILE': ..."); the lines appended before an error stay. */
int kf_cli_args_from(struct kf_args *a, const char *file, struct kf_err *err);

/* Free what a holds (accepts a zeroed a); a is zeroed. */
void kf_cli_args_release(struct kf_args *a);

/* Value of the command option `name`, or NULL when absent. */
const char *kf_cli_opt(const struct kf_command *cmd, const struct kf_args *a, const char *name);

/* Parse option `name` as an integer in [lo, hi]; *out keeps its value when the
 * option is absent. Prints a usage error and returns KF_EXIT_USAGE when bad. */
int kf_cli_opt_int(const struct kf_command *cmd, const struct kf_args *a, const char *name,
		   int64_t lo, int64_t hi, int64_t *out);

/* The paging options of the list commands (cmd_photo.c): --page into *page,
 * from 1 (default 1), and --limit into *limit, 1 to 500 (default 50). Prints a
 * usage error and returns KF_EXIT_USAGE when bad. */
int kf_cli_opt_page(const struct kf_command *cmd, const struct kf_args *a, int64_t *page,
		    int64_t *limit);

/* Open (creating and migrating) the database once; prints the error itself. */
int kf_cli_store(struct kf_cli *cli, struct kf_store **st);

/* Once per process: when other users can read the database at path (or its
 * -wal/-shm/journal files), one line on stderr naming the fix
 * ("kingface: warning: 'PATH' is readable by other users; run: chmod 600 'PATH'").
 * Call it before opening the database: an open connection has a -wal and a
 * -shm that closing it removes. kf_cli_store() calls it; commands that open
 * the database themselves too. */
void kf_cli_warn_db(const char *path);

/* Open the store and find the gallery ref (an id or a name) into *g (caller
 * releases with kf_store_gallery_release); prints the error itself. */
int kf_cli_gallery(struct kf_cli *cli, const char *ref, struct kf_store **st,
		   struct kf_gallery *g);

/* How a hint names gallery g for the user to paste into a command: its name
 * when the shell keeps it as it is and it is not all digits (an id), else
 * its id (in a static buffer: print it before the next call). */
const char *kf_cli_gallery_arg(const struct kf_gallery *g);

/* The printf width ("%-*s") that pads UTF-8 text s to `columns` columns on a
 * terminal: each character one column (a name's accents take none, whether
 * precomposed or combining), where "%-28s" would count bytes. */
int kf_cli_pad(const char *s, int columns);

/* As kf_cli_gallery for the gallery a->pos[0] (into *g unless g is NULL),
 * then its client a->pos[1] into *c (caller releases both). */
int kf_cli_client(struct kf_cli *cli, const struct kf_args *a, struct kf_store **st,
		  struct kf_gallery *g, struct kf_client *c);

/* The platform's PostgreSQL URL (data/pg.h kf_pg_url) from the --pg option
 * and cfg, which this loads (the caller releases it; *url may point into it). */
int kf_cli_pg_url(const struct kf_command *cmd, const struct kf_args *a, struct kf_config *cfg,
		  const char **url, struct kf_err *err);

/* SIGINT and SIGTERM set kf_cli_interrupted (commands that run until stopped). */
extern volatile sig_atomic_t kf_cli_interrupted;
void kf_cli_catch_signals(void);

/* Print "kingface: <msg>" to stderr; returns KF_EXIT_ERROR. */
int kf_cli_error(const struct kf_err *err);

/* Print a usage error with the hint to --help; returns KF_EXIT_USAGE. */
int kf_cli_usage(const struct kf_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ask a yes/no question on the terminal. Returns 1 for yes; 0 for no, and 0
 * without asking when stdin is not a terminal. */
int kf_cli_confirm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a JSON value followed by a newline and free it; returns KF_EXIT_OK, or
 * KF_EXIT_ERROR when out of memory (NULL json). */
int kf_cli_print_json(struct kf_cli *cli, struct cJSON *json);

/* Print a count: {"<key>": n} with --json, else the line "<n> <words>".
 * Returns the exit status. */
int kf_cli_print_count(struct kf_cli *cli, const char *key, int64_t n, const char *words);

/* cJSON helpers that accept int64 and NULL strings. */
void kf_json_int(struct cJSON *obj, const char *name, int64_t v);
void kf_json_str(struct cJSON *obj, const char *name, const char *s);
/* A number rounded to `decimals` places. */
void kf_json_num(struct cJSON *obj, const char *name, double v, int decimals);

/* Command handlers (cmd_*.c). */
int kf_cmd_gallery_import(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_pull(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_sync(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_list(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_show(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_remove(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_rename(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_engine(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_gallery_detector(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_add(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_list(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_rename(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_remove(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_enroll(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_faces(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_unenroll(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_client_import(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_identify(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_settings_get(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_settings_set(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_match(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_rematch(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_status(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_results(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_export(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_people_assign(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_face_confirm(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_face_reject(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_face_clear(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_detail(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_recognition(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_people(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_queue(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_jobs(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_requeue(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_process(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_worker(struct kf_cli *, const struct kf_command *, struct kf_args *);
/* queue and worker with --pg (cmd_pg.c); concurrency as the worker resolved it */
int kf_cmd_pg_queue(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_pg_requeue(struct kf_cli *, const struct kf_command *, struct kf_args *, int dead,
		      int failed);
int kf_cmd_pg_worker(struct kf_cli *, const struct kf_command *, struct kf_args *,
		     int concurrency);
/* jobs --pg: the platform gallery a->pos[0]'s jobs into *rows (kf_queue_list_free);
 * prints the error itself */
int kf_cli_pg_jobs(struct kf_cli *, const struct kf_command *, const struct kf_args *,
		   const char *state, struct kf_job_row **rows, size_t *n);
int kf_cmd_detect(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_console(struct kf_cli *, const struct kf_command *, struct kf_args *);
int kf_cmd_photo_list(struct kf_cli *, const struct kf_command *, struct kf_args *);

#endif
