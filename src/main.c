/* main.c: kingface's entry point: finds the command in the table, parses its
 * options and runs it. See cli.h for the conventions. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/nn_gemm_q8.h"
#include "data/store.h"
#include "src/cli.h"
#include "ui/kf_ui_app.h"

/* Options every command takes, parsed here. */
static const struct kf_opt global_opts[] = {
	{ "db", "PATH", "database file (default $KINGFACE_DB, else "
	  "$XDG_DATA_HOME/kingface/kingface.db)" },
	{ "models", "DIR", "face-api model folder (default $KINGFACE_MODELS, else the one "
	  "scripts/setup extracts)" },
	{ "json", NULL, "print JSON (field names in docs/cli.md)" },
	{ "help", NULL, "show this help" },
	{ NULL, NULL, NULL },
};

#define HELP_COLS 80

/* One help row: left in a column of width `col`, text after it, word-wrapped
 * to HELP_COLS under itself as the console wraps (kf_ui_wrap_cut); text
 * starts on the next line when left does not fit its column. */
static void help_row(FILE *f, int col, const char *left, const char *text)
{
	int x = fprintf(f, "  %s", left), room = HELP_COLS - col - 3;

	if (x > col + 2) {
		fputc('\n', f);
		x = 0;
	}
	fprintf(f, "%*s", col + 3 - x, "");
	while (*text) {
		size_t cut = kf_ui_wrap_cut(text, room);

		fprintf(f, "%.*s\n", (int)cut, text);
		for (text += cut; *text == ' '; text++)
			;
		if (*text)
			fprintf(f, "%*s", col + 3, "");
	}
}

static void print_opts(FILE *f, const struct kf_opt *opts)
{
	for (int i = 0; opts && opts[i].name; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		help_row(f, 22, left, opts[i].help);
	}
}

static void main_help(FILE *f)
{
	fputs("usage: kingface [--db PATH] COMMAND [ARGS] [--json]\n"
	      "       kingface [--db PATH] [--readonly]    (the console, on a terminal)\n\n"
	      "Face recognition for photo studio galleries, offline on this computer.\n\n"
	      "Commands:\n", f);
	for (const struct kf_command *c = kf_commands; c->name; c++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", c->name, c->args);
		help_row(f, 34, left, c->summary);
	}
	fputs("\nOptions for every command:\n", f);
	print_opts(f, global_opts);
	fputs("\nExit status: 0 done, 1 runtime error, 2 usage error.\n"
	      "'kingface COMMAND --help' shows a command's options.\n", f);
}

static void command_help(FILE *f, const struct kf_command *c)
{
	fprintf(f, "usage: kingface %s%s%s\n\n%s.\n", c->name, *c->args ? " " : "", c->args,
		c->summary);
	if (c->help)
		fprintf(f, "\n%s\n", c->help);
	if (c->opts && c->opts[0].name) {
		fputs("\nOptions:\n", f);
		print_opts(f, c->opts);
	}
	fputs("\nOptions for every command:\n", f);
	print_opts(f, global_opts);
}

/* The command whose words match the most leading words of argv; *used gets
 * the number of words. */
static const struct kf_command *find_command(int argc, char **argv, int *used)
{
	const struct kf_command *best = NULL;

	*used = 0;
	for (const struct kf_command *c = kf_commands; c->name; c++) {
		const char *p = c->name;
		int i = 0;

		while (i < argc) {
			size_t n = strlen(argv[i]);

			if (strncmp(p, argv[i], n) != 0 || (p[n] != ' ' && p[n] != '\0'))
				break;
			i++;
			p += n;
			if (*p == '\0')
				break;
			p++;
		}
		if (*p == '\0' && i > *used) {
			best = c;
			*used = i;
		}
	}
	return best;
}

/* A group word alone ("kingface gallery"): list its commands. */
static int group_help(const char *word)
{
	size_t n = strlen(word);
	int any = 0;

	for (const struct kf_command *c = kf_commands; c->name; c++) {
		if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ') {
			if (!any)
				fprintf(stderr, "kingface: '%s' needs a subcommand:\n", word);
			fprintf(stderr, "  kingface %s%s%s\n", c->name, *c->args ? " " : "", c->args);
			any = 1;
		}
	}
	return any;
}

static int lookup_opt(const struct kf_opt *opts, const char *name, size_t n)
{
	for (int i = 0; opts && opts[i].name; i++)
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
			return i;
	return -1;
}

/* Parse argv (after the command words) into a, which the caller releases
 * (kf_cli_args_release) whatever this returns: KF_EXIT_OK, KF_EXIT_USAGE, or
 * KF_EXIT_ERROR when out of memory. */
static int parse(const struct kf_command *cmd, int argc, char **argv, struct kf_cli *cli,
		 struct kf_args *a, int *help)
{
	const char *gval[5] = { NULL, NULL, NULL, NULL, NULL }, *from;
	struct kf_err err = KF_ERR_INIT;
	int only_pos = 0;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		int gi, ci = -1;
		const struct kf_opt *o;
		size_t n;

		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (kf_cli_args_push(a, arg) < 0)
				return kf_cli_error(&(struct kf_err){ KF_E_NOMEM, "out of memory" });
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(arg, "-h") == 0) {
			*help = 1;
			continue;
		}
		if (arg[1] >= '0' && arg[1] <= '9')	/* a negative number */
			return kf_cli_usage(cmd, "unknown option '%s' (to give a value that "
					    "starts with '-', put -- before it)", arg);
		if (arg[1] != '-')
			return kf_cli_usage(cmd, "unknown option '%s'", arg);
		name = arg + 2;
		eq = strchr(name, '=');
		n = eq ? (size_t)(eq - name) : strlen(name);
		gi = lookup_opt(global_opts, name, n);
		if (gi < 0 && (ci = lookup_opt(cmd->opts, name, n)) < 0)
			return kf_cli_usage(cmd, "unknown option '--%.*s'", (int)n, name);
		o = gi >= 0 ? &global_opts[gi] : &cmd->opts[ci];
		if (o->arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return kf_cli_usage(cmd, "option '--%s' needs a value (%s)", o->name,
						    o->arg);
		} else if (eq) {
			return kf_cli_usage(cmd, "option '--%s' takes no value", o->name);
		} else {
			val = "";
		}
		if (gi >= 0)
			gval[gi] = val;
		else
			a->val[ci] = val;
	}
	cli->db_flag = gval[0];
	cli->models_flag = gval[1];
	cli->json = gval[2] != NULL;
	if (gval[3])
		*help = 1;
	if (*help)
		return KF_EXIT_OK;
	if ((from = kf_cli_opt(cmd, a, "from")) && kf_cli_args_from(a, from, &err) < 0)
		return err.code == KF_E_NOMEM ? kf_cli_error(&err)
					      : kf_cli_usage(cmd, "--from: %s", err.msg);
	if (a->npos < cmd->min_pos)
		return kf_cli_usage(cmd, "missing arguments");
	if (cmd->max_pos >= 0 && a->npos > cmd->max_pos)
		return kf_cli_usage(cmd, "unexpected argument '%s'", a->pos[cmd->max_pos]);
	return KF_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct kf_cli cli = { .out = stdout };
	struct kf_args args = { .npos = 0 };
	const struct kf_command *cmd;
	int used, help = 0, rc;

	/* before any thread starts: curl's global state is not thread-safe to set up */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("kingface: cannot initialise libcurl\n", stderr);
		return KF_EXIT_ERROR;
	}
	atexit(curl_global_cleanup);

	/* no command: the console on a terminal (or --headless), else the help */
	int only_opts = 1, headless = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") || !strcmp(argv[i], "--models"))
			i++;
		else if (!strcmp(argv[i], "--headless"))
			headless = 1;
		else if (strcmp(argv[i], "--readonly") != 0)
			only_opts = 0;
	}
	if (only_opts) {
		if (!headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
			main_help(stderr);
			return KF_EXIT_USAGE;
		}
		cmd = find_command(1, (char *[]){ (char *)"console" }, &used);
		rc = parse(cmd, argc - 1, argv + 1, &cli, &args, &help);
		if (rc == KF_EXIT_OK)
			rc = cmd->run(&cli, cmd, &args);
		kf_store_close(cli.store);
		kf_cli_args_release(&args);
		return rc;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		main_help(stdout);
		return KF_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		/* the kernels this CPU runs: what a slow machine's report needs */
		printf("kingface %s\nkernels: float32 %s, int8 %s (with --precision auto)\n",
		       KF_VERSION, kf_gemm_kernel_name(), kf_gemm_q8_kernel_name());
		return KF_EXIT_OK;
	}
	/* global options may also come before the command */
	int first = 1;
	while (first + 1 < argc && (!strcmp(argv[first], "--db") || !strcmp(argv[first], "--models")))
		first += 2;
	cmd = find_command(argc - first, argv + first, &used);
	if (!cmd) {
		if (first < argc && group_help(argv[first]))
			return KF_EXIT_USAGE;
		return kf_cli_usage(NULL, "unknown command '%s'", first < argc ? argv[first] : "");
	}
	/* parse the leading global options together with the rest */
	char **rest = malloc(sizeof(char *) * (size_t)argc);
	int nrest = 0;
	if (!rest)
		return KF_EXIT_ERROR;
	for (int i = 1; i < first; i++)
		rest[nrest++] = argv[i];
	for (int i = first + used; i < argc; i++)
		rest[nrest++] = argv[i];
	rc = parse(cmd, nrest, rest, &cli, &args, &help);
	free(rest);
	if (rc != KF_EXIT_OK)
		goto out;
	if (help) {
		command_help(stdout, cmd);
		goto out;
	}
	rc = cmd->run(&cli, cmd, &args);
	kf_store_close(cli.store);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("kingface: cannot write output");
		rc = KF_EXIT_ERROR;
	}
out:
	kf_cli_args_release(&args);
	return rc;
}
