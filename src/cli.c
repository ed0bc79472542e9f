/* cli.c: option parsing, output and error helpers shared by the commands. */
#include "src/cli.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/config.h"
#include "data/paths.h"
#include "data/pg.h"
#include "data/store.h"
#include "data/store_client.h"
#include "data/store_gallery.h"

int kf_cli_args_push(struct kf_args *a, const char *arg)
{
	if (a->npos == a->cap) {
		int cap = a->cap ? a->cap * 2 : 16;
		const char **p;

		if (a->cap > INT_MAX / 2 || !(p = realloc(a->pos, (size_t)cap * sizeof(*p))))
			return KF_E_NOMEM;
		a->pos = p;
		a->cap = cap;
	}
	a->pos[a->npos++] = arg;
	return KF_OK;
}

/* The rest of f, NUL-terminated (caller frees); NULL with errno set on error. */
static char *read_all(FILE *f)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *p;

	do {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;

			if (cap > SIZE_MAX / 4 || !(p = realloc(buf, ncap))) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
			cap = ncap;
		}
		len += n = fread(buf + len, 1, cap - len - 1, f);
	} while (n > 0);
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		free(buf);
		errno = e;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

int kf_cli_args_from(struct kf_args *a, const char *file, struct kf_err *err)
{
	int is_stdin = strcmp(file, "-") == 0, e;
	FILE *f = is_stdin ? stdin : fopen(file, "r");
	char *line, *next;

	assert(!a->from);
	if (!f)
		return kf_err_errno(err, KF_E_IO, "cannot read '%s'", file);
	errno = 0;
	a->from = read_all(f);
	e = errno;
	if (!is_stdin)
		fclose(f);
	if (!a->from) {
		errno = e;
		return kf_err_errno(err, e == ENOMEM ? KF_E_NOMEM : KF_E_IO, "cannot read '%s'",
				    file);
	}
	for (line = a->from; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (line[strspn(line, " \t")] != '\0' && kf_cli_args_push(a, line) < 0)
			return kf_err_set(err, KF_E_NOMEM, "out of memory reading '%s'", file);
	}
	return KF_OK;
}

void kf_cli_args_release(struct kf_args *a)
{
	free(a->pos);
	free(a->from);
	memset(a, 0, sizeof(*a));
}

static int opt_index(const struct kf_command *cmd, const char *name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (strcmp(cmd->opts[i].name, name) == 0)
			return i;
	return -1;
}

const char *kf_cli_opt(const struct kf_command *cmd, const struct kf_args *a, const char *name)
{
	int i = opt_index(cmd, name);

	return i < 0 ? NULL : a->val[i];
}

int kf_cli_opt_int(const struct kf_command *cmd, const struct kf_args *a, const char *name,
		   int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = kf_cli_opt(cmd, a, name);
	char *end;
	long long x;

	if (!v)
		return KF_EXIT_OK;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || !*v || *end || x < lo || x > hi)
		return kf_cli_usage(cmd, "--%s must be a whole number from %lld to %lld, not '%s'",
				    name, (long long)lo, (long long)hi, v);
	*out = x;
	return KF_EXIT_OK;
}

int kf_cli_store(struct kf_cli *cli, struct kf_store **st)
{
	struct kf_err err = KF_ERR_INIT;
	char path[4096];

	if (!cli->store) {
		if (kf_paths_db(cli->db_flag, path, sizeof(path), &err) < 0)
			return kf_cli_error(&err);
		if (kf_store_open(&cli->store, path, KF_STORE_CREATE, &err) < 0)
			return kf_cli_error(&err);
		kf_cli_warn_db(path);	/* a database's, not any file's */
	}
	*st = cli->store;
	return KF_EXIT_OK;
}

void kf_cli_warn_db(const char *path)
{
	static int warned;
	char msg[4 * 4200 + 4096 + 128];

	if (!warned && kf_paths_db_exposed(path, msg, sizeof(msg))) {
		fprintf(stderr, "kingface: warning: %s\n", msg);
		warned = 1;
	}
}

int kf_cli_gallery(struct kf_cli *cli, const char *ref, struct kf_store **st,
		   struct kf_gallery *g)
{
	struct kf_err err = KF_ERR_INIT;
	int rc;

	if ((rc = kf_cli_store(cli, st)) != KF_EXIT_OK)
		return rc;
	if (kf_store_gallery_find(*st, ref, g, &err) < 0)
		return kf_cli_error(&err);
	return KF_EXIT_OK;
}

const char *kf_cli_gallery_arg(const struct kf_gallery *g)
{
	static char id[24];
	size_t n = strspn(g->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789._-+@%/:=,");

	if (*g->name && !g->name[n] && g->name[0] != '-' &&
	    g->name[strspn(g->name, "0123456789")])
		return g->name;
	snprintf(id, sizeof(id), "%lld", (long long)g->id);
	return id;
}

int kf_cli_pad(const char *s, int columns)
{
	const unsigned char *p = (const unsigned char *)s;
	int bytes = 0, chars = 0;

	for (; *p; p++, bytes++) {
		/* a lead byte starts a character; U+0300-U+036F combine */
		if ((*p & 0xc0) != 0x80 && !((p[0] == 0xcc && (p[1] & 0xc0) == 0x80) ||
					     (p[0] == 0xcd && p[1] >= 0x80 && p[1] <= 0xaf)))
			chars++;
	}
	return columns + bytes - chars;
}

int kf_cli_client(struct kf_cli *cli, const struct kf_args *a, struct kf_store **st,
		  struct kf_gallery *g, struct kf_client *c)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery own;
	int rc;

	if (!g)
		g = &own;
	if ((rc = kf_cli_gallery(cli, a->pos[0], st, g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_store_client_find(*st, g->id, a->pos[1], c, &err)) < 0 || g == &own)
		kf_store_gallery_release(g);
	return rc < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}

int kf_cli_error(const struct kf_err *err)
{
	fprintf(stderr, "kingface: %s\n", err->msg[0] ? err->msg : kf_err_str(err->code));
	return KF_EXIT_ERROR;
}

int kf_cli_usage(const struct kf_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kingface: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nusage: kingface %s%s%s\nTry 'kingface %s --help'.\n",
			cmd->name, *cmd->args ? " " : "", cmd->args, cmd->name);
	else
		fputs("\nTry 'kingface --help'.\n", stderr);
	return KF_EXIT_USAGE;
}

int kf_cli_confirm(const char *fmt, ...)
{
	char line[32];
	va_list ap;

	if (!isatty(STDIN_FILENO))
		return 0;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int kf_cli_print_json(struct kf_cli *cli, cJSON *json)
{
	char *s = json ? cJSON_PrintUnformatted(json) : NULL;

	cJSON_Delete(json);
	if (!s) {
		fputs("kingface: out of memory printing JSON\n", stderr);
		return KF_EXIT_ERROR;
	}
	fprintf(cli->out, "%s\n", s);
	cJSON_free(s);
	return KF_EXIT_OK;
}

void kf_json_int(cJSON *obj, const char *name, int64_t v)
{
	cJSON_AddNumberToObject(obj, name, (double)v);
}

void kf_json_str(cJSON *obj, const char *name, const char *s)
{
	if (s)
		cJSON_AddStringToObject(obj, name, s);
	else
		cJSON_AddNullToObject(obj, name);
}

void kf_json_num(cJSON *o, const char *name, double v, int decimals)
{
	double p = pow(10, decimals);

	cJSON_AddNumberToObject(o, name, round(v * p) / p);
}

int kf_cli_pg_url(const struct kf_command *cmd, const struct kf_args *a, struct kf_config *cfg,
		  const char **url, struct kf_err *err)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = kf_config_load(cfg, NULL, err)) < 0)
		return rc;
	return kf_pg_url(cfg, kf_cli_opt(cmd, a, "pg"), url, err);
}

volatile sig_atomic_t kf_cli_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	kf_cli_interrupted = 1;
}

void kf_cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int kf_cli_print_count(struct kf_cli *cli, const char *key, int64_t n, const char *words)
{
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, key, n);
		return kf_cli_print_json(cli, o);
	}
	fprintf(cli->out, "%lld %s\n", (long long)n, words);
	return KF_EXIT_OK;
}
