/* kf_ui_app.c: the console's main loop, screen stack, overlays and chrome
 * (kf_ui_app.h). */
#include "ui/kf_ui_app.h"

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "core/engine.h"
#include "core/nn_gemm_q8.h"
#include "data/engines.h"
#include "data/photo_match.h"
#include "data/queue.h"
#include "data/settings.h"
#include "data/store.h"
#include "data/store_gallery.h"
#include "data/worker.h"
#include "ui/kf_ui_list.h"

enum { IN_NONE, IN_PROMPT, IN_CONFIRM, IN_FILTER, IN_HELP };

/* Keys every screen has (handled here; listed in every help). */
static const struct kf_ui_binding global_keys[] = {
	{ '?', "?", "help", "this help", 0, 0, 0 },
	{ '/', "/", "filter", "filter the list as you type (Enter keeps it, Esc clears it)", 0, 0, 0 },
	{ 'q', "q", "back", "back (quit on the first screen)", 0, 0, 0 },
	{ KF_UI_ESC, "Esc", NULL, "stop processing when it runs, else back", 0, 0, 0 },
	{ 'Q', "Q", NULL, "quit", 0, 0, 0 },
	{ KF_UI_CTRL('l'), "C-l", NULL, "redraw the screen", 0, 0, 0 },
	{ KF_UI_CTRL('c'), "C-c", NULL, "quit (processing stops: in-flight photos finish)", 0, 0, 0 },
	{ KEY_UP, "Up/Down", NULL, "move (also j/k, PgUp/PgDn, Home/End)", 0, 0, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- text ---- */

/* Our strings are UTF-8; in a locale that is not, the few symbols they use
 * become ASCII look-alikes. */
static wchar_t ascii_of(unsigned cp)
{
	switch (cp) {
	case 0x2502: return L'|';	/* │ */
	case 0x2026: return L'.';	/* … */
	case 0x00B7: return L'-';	/* · */
	default: return cp < 0x80 ? (wchar_t)cp : L'?';
	}
}

static size_t to_wide(const char *s, wchar_t *out, size_t n)
{
	mbstate_t st;
	size_t k = 0;

	memset(&st, 0, sizeof(st));
	if (MB_CUR_MAX == 1) {
		const unsigned char *u = (const unsigned char *)s;

		while (*u && k + 1 < n) {
			unsigned cp = *u++;
			int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;

			if (more)
				cp &= 0x3Fu >> more;
			for (; more > 0 && (*u & 0xC0) == 0x80; more--)
				cp = (cp << 6) | (*u++ & 0x3Fu);
			out[k++] = ascii_of(cp);
		}
		out[k] = 0;
		return k;
	}
	while (*s && k + 1 < n) {
		size_t r = mbrtowc(&out[k], s, MB_CUR_MAX, &st);

		if (r == (size_t)-1 || r == (size_t)-2) {
			out[k++] = L'?';
			s++;
			memset(&st, 0, sizeof(st));
			continue;
		}
		if (r == 0)
			break;
		s += r;
		k++;
	}
	out[k] = 0;
	return k;
}

/* How many of buf's n characters fit in w columns (*cols: their width);
 * unprintable ones become '?'. */
static size_t fit(wchar_t *buf, size_t n, int w, int *cols)
{
	size_t k;

	*cols = 0;
	for (k = 0; k < n; k++) {
		int cw = wcwidth(buf[k]);

		if (cw < 0)
			buf[k] = L'?', cw = 1;
		if (*cols + cw > w)
			break;
		*cols += cw;
	}
	return k;
}

void kf_ui_put(WINDOW *win, int y, int x, int w, const char *s)
{
	wchar_t buf[512];
	size_t n = to_wide(s, buf, 512);
	int cols;

	if (w > 0)
		mvwaddnwstr(win, y, x, buf, (int)fit(buf, n, w, &cols));
}

int kf_ui_width(const char *s)
{
	wchar_t buf[512];
	int cols;

	fit(buf, to_wide(s, buf, 512), INT_MAX, &cols);
	return cols;
}

const char *kf_ui_cell(const char *s, int cols, char *buf, size_t n)
{
	size_t o = 0;
	int used = 0;

	while (*s) {
		char ch[5];
		size_t len = 1;
		int cw;

		while (len < 4 && (s[len] & 0xC0) == 0x80)
			len++;
		memcpy(ch, s, len);
		ch[len] = '\0';
		cw = kf_ui_width(ch);
		if (used + cw > cols || o + len >= n)
			break;
		memcpy(buf + o, s, len);
		o += len;
		used += cw;
		s += len;
	}
	for (; used < cols && o + 1 < n; used++)
		buf[o++] = ' ';
	buf[o] = '\0';
	return buf;
}

void kf_ui_line(struct kf_ui_app *app, WINDOW *w, int y, int x, char which)
{
	static const char keys[] = "-|abcd";
	static const wchar_t uni[] = L"─│┌┐└┘";
	const char *k = strchr(keys, which);
	int i = k ? (int)(k - keys) : 0;

	if (app->utf8) {
		wchar_t s[2] = { uni[i], 0 };
		mvwaddnwstr(w, y, x, s, 1);
		return;
	}
	chtype acs[] = { ACS_HLINE, ACS_VLINE, ACS_ULCORNER, ACS_URCORNER, ACS_LLCORNER,
			 ACS_LRCORNER };
	mvwaddch(w, y, x, acs[i]);
}

void kf_ui_putf(WINDOW *win, int y, int x, int w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kf_ui_put(win, y, x, w, buf);
}

/* ---- styles ---- */

attr_t kf_ui_style(struct kf_ui_app *app, enum kf_ui_style s, int *pair)
{
	static const short fg[] = { 0, COLOR_WHITE, -1, COLOR_GREEN, COLOR_RED, -1, COLOR_CYAN };
	static const short bg[] = { 0, COLOR_BLUE, -1, -1, -1, -1, -1 };
	attr_t a[] = { 0, A_REVERSE | A_BOLD, A_REVERSE, A_NORMAL, A_BOLD, A_DIM, A_BOLD };

	*pair = 0;
	if (app->color && (s == KF_UI_S_TITLE || s == KF_UI_S_OK || s == KF_UI_S_BAD ||
			   s == KF_UI_S_HEAD)) {
		int p = alloc_pair(fg[s], bg[s]);

		if (p > 0) {
			*pair = p;
			return s == KF_UI_S_TITLE ? A_BOLD : a[s];
		}
	}
	return a[s];
}

void kf_ui_attr(struct kf_ui_app *app, WINDOW *w, enum kf_ui_style s)
{
	int pair;
	attr_t a = kf_ui_style(app, s, &pair);

	wattr_set(w, a, 0, &pair);
}

/* ---- messages and modal input ---- */

void kf_ui_message(struct kf_ui_app *app, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(app->msg, sizeof(app->msg), fmt, ap);
	va_end(ap);
	app->msg_error = error;
}

void kf_ui_error(struct kf_ui_app *app, const struct kf_err *err)
{
	kf_ui_message(app, 1, "%s", err->msg[0] ? err->msg : kf_err_str(err->code));
}

void kf_ui_prompt(struct kf_ui_app *app, const char *label, const char *initial,
		  kf_ui_complete_fn complete, kf_ui_answer_fn answer)
{
	app->input = IN_PROMPT;
	snprintf(app->label, sizeof(app->label), "%s", label);
	snprintf(app->text, sizeof(app->text), "%s", initial ? initial : "");
	app->complete = complete;
	app->answer = answer;
}

void kf_ui_confirm(struct kf_ui_app *app, kf_ui_answer_fn answer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(app->label, sizeof(app->label), fmt, ap);
	va_end(ap);
	app->input = IN_CONFIRM;
	app->text[0] = '\0';
	app->answer = answer;
}

static void draw_frame(struct kf_ui_app *app);

void kf_ui_busy(struct kf_ui_app *app, const char *msg)
{
	kf_ui_message(app, 0, "%s", msg);
	draw_frame(app);
}

struct kf_engine *kf_ui_engine(struct kf_ui_app *app)
{
	struct kf_err err = KF_ERR_INIT;
	double precision;

	if (app->engine)
		return app->engine;
	if (!app->opts->models_dir) {
		kf_ui_message(app, 1, "%s", app->opts->models_error ? app->opts->models_error
					    : "the face models are missing: run scripts/setup");
		return NULL;
	}
	/* the precision setting, as the commands take it (src/cli_engine.c) */
	if (kf_settings_get(app->store, "precision", &precision, &err) < 0) {
		kf_ui_error(app, &err);
		return NULL;
	}
	kf_nn_set_precision((enum kf_precision)precision);
	kf_ui_busy(app, "Loading the face models…");
	if (kf_engine_load(&app->engine, app->opts->models_dir, app->opts->yunet_dir,
			   KF_ENGINE_YUNET | KF_ENGINE_SSD | KF_ENGINE_TINY | KF_ENGINE_DESCRIPTORS,
			   &err) < 0) {
		app->engine = NULL;
		kf_ui_error(app, &err);
		return NULL;
	}
	app->msg[0] = '\0';
	return app->engine;
}

/* ---- processing ---- */

/* y to the paid run's question: process the gallery asked about. */
static unsigned process_paid(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	(void)v;
	(void)a;
	app->proc.paid_ok = app->proc.paid_ask;
	return kf_ui_process(app, app->proc.paid_ask);
}

unsigned kf_ui_process(struct kf_ui_app *app, int64_t gallery_id)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_ui_proc *p = &app->proc;
	struct kf_worker_opts wo;
	struct kf_match_engine me;
	struct kf_gallery g;
	struct kf_engine *e = NULL;
	char engine[32];
	int64_t queued;
	int rc, detector;

	if (gallery_id <= 0)
		return KF_UI_NONE;
	if (p->run) {
		kf_ui_message(app, 1, "already processing '%s' (Esc stops it)", p->gallery);
		return KF_UI_REDRAW;
	}
	memset(&wo, 0, sizeof(wo));
	if (kf_store_gallery_get(app->store, gallery_id, &g, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	snprintf(p->gallery, sizeof(p->gallery), "%s", g.name);
	snprintf(engine, sizeof(engine), "%s", g.engine ? g.engine : KF_MATCH_ENGINE_LOCAL);
	detector = kf_detector_parse(g.detector);	/* -1: none yet, the default */
	kf_store_gallery_release(&g);
	/* the gallery's engine: the networks only when it is the local one */
	if (!strcmp(engine, KF_MATCH_ENGINE_LOCAL) && !(e = kf_ui_engine(app)))
		return KF_UI_REDRAW;
	if (kf_photo_match_opts_load(app->store, &wo.match, &err) < 0 ||
	    kf_queue_reclaim(app->store, NULL, &err) < 0 ||
	    kf_queue_enqueue(app->store, gallery_id, 0, &queued, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (queued == 0) {
		kf_ui_message(app, 0, "nothing to process: every photo of '%s' is done", p->gallery);
		return KF_UI_REDRAW | KF_UI_RELOAD;
	}
	if (!e && p->paid_ok != gallery_id) {	/* a remote engine: calls are paid */
		p->paid_ask = gallery_id;
		kf_ui_confirm(app, process_paid, "about to make at least %lld Rekognition calls "
			      "(%lld photos + 1 per face found): go on?", (long long)queued,
			      (long long)queued);
		return KF_UI_REDRAW;
	}
	p->paid_ok = 0;
	if (detector >= 0)
		wo.match.detect.detector = (enum kf_detector_kind)detector;
	wo.db_path = app->opts->db_path;
	wo.gallery_id = gallery_id;
	wo.concurrency = app->opts->concurrency > 0 ? app->opts->concurrency : 1;
	wo.until_empty = 1;
	if (kf_engines_open(engine, e, &me, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	rc = kf_worker_start(&me, &wo, queued, &p->run, &err);
	kf_match_engine_close(&me);	/* the run has its own handles */
	if (rc < 0) {
		p->run = NULL;
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	p->gallery_id = gallery_id;
	p->shown = 1;
	p->stopping = 0;
	p->error[0] = '\0';
	p->last_x = 0;
	memset(&p->snap, 0, sizeof(p->snap));
	app->msg[0] = '\0';
	return KF_UI_REDRAW | KF_UI_RELOAD;
}

static int64_t proc_x(const struct kf_pool_snapshot *s)
{
	return s->v[KF_POOL_DONE] + s->v[KF_POOL_CACHED] + s->v[KF_POOL_DEAD];
}

/* Read the counters; join the pool once it has finished. */
static unsigned proc_tick(struct kf_ui_app *app)
{
	struct kf_ui_proc *p = &app->proc;
	struct kf_err err = KF_ERR_INIT;
	unsigned r = KF_UI_REDRAW;

	if (!p->run)
		return KF_UI_NONE;
	kf_worker_snapshot(p->run, &p->snap);
	if (proc_x(&p->snap) != p->last_x) {
		p->last_x = proc_x(&p->snap);
		r |= KF_UI_RELOAD;
	}
	if (p->snap.finished) {
		if (kf_worker_wait(p->run, &err) < 0)
			snprintf(p->error, sizeof(p->error), "%s", err.msg);
		p->run = NULL;
		r |= KF_UI_RELOAD;
	}
	return r;
}

static void proc_draw(struct kf_ui_app *app, int y, int width)
{
	const struct kf_ui_proc *p = &app->proc;
	const struct kf_pool_snapshot *s = &p->snap;
	int64_t x = proc_x(s), total = s->v[KF_POOL_TOTAL];
	int64_t failed = s->v[KF_POOL_FAILED] + s->v[KF_POOL_DEAD];
	double minutes = (double)s->elapsed_ms / 60000.0;
	double rate = minutes > 0 ? (double)x / minutes : 0;
	long el = (long)(s->elapsed_ms / 1000);
	char eta[48] = "--:--", bar[24];
	int fill = total > 0 ? (int)(x * 20 / total) : 0;

	if (rate > 0 && total > x) {
		long sec = (long)((double)(total - x) / rate * 60.0);
		snprintf(eta, sizeof(eta), "%ld:%02ld", sec / 60, sec % 60);
	}
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	kf_ui_attr(app, stdscr, p->error[0] ? KF_UI_S_BAD : KF_UI_S_HEAD);
	if (p->error[0])
		kf_ui_putf(stdscr, y, 0, width, "Processing '%s' failed at %lld/%lld: %s", p->gallery,
			   (long long)x, (long long)total, p->error);
	else if (p->run && p->stopping)
		kf_ui_putf(stdscr, y, 0, width, "Stopping… %lld/%lld  '%s': in-flight photos finish, "
			   "the rest stays queued", (long long)x, (long long)total, p->gallery);
	else if (p->run)
		kf_ui_putf(stdscr, y, 0, width, "Processing… %lld/%lld [%s] %.1f photos/min  ETA %s  "
			   "failed %lld  '%s'  (Esc stops)", (long long)x, (long long)total, bar, rate,
			   eta, (long long)failed, p->gallery);
	else
		kf_ui_putf(stdscr, y, 0, width, "%s %lld/%lld [%s] in %ld:%02ld  failed %lld  dead %lld  "
			   "'%s'", p->stopping ? "Stopped at" : "Processed", (long long)x,
			   (long long)total, bar, el / 60, el % 60, (long long)failed,
			   (long long)s->v[KF_POOL_DEAD], p->gallery);
	wattrset(stdscr, A_NORMAL);
}

/* ---- screens ---- */

void kf_ui_push(struct kf_ui_app *app, struct kf_ui_view *v)
{
	if (!v) {
		kf_ui_message(app, 1, "out of memory");
		return;
	}
	v->below = app->top;
	app->top = v;
	if (v->screen->reload)
		v->screen->reload(v, app);
}

static void pop(struct kf_ui_app *app)
{
	struct kf_ui_view *v = app->top;

	if (!v)
		return;
	app->top = v->below;
	v->screen->free(v);
	if (app->top && app->top->screen->reload)
		app->top->screen->reload(app->top, app);
}

static int applies(const struct kf_ui_binding *b, const struct kf_ui_view *v)
{
	return !b->modes || (b->modes & v->mode);
}

/* ---- drawing ---- */

/* A blank h x w box framed by lines at (y0, x0). */
static void frame(struct kf_ui_app *app, int y0, int x0, int h, int w)
{
	for (int r = 0; r < h; r++)
		mvhline(y0 + r, x0, ' ', w);
	attrset(A_NORMAL);
	for (int i = 1; i < w - 1; i++) {
		kf_ui_line(app, stdscr, y0, x0 + i, '-');
		kf_ui_line(app, stdscr, y0 + h - 1, x0 + i, '-');
	}
	for (int i = 1; i < h - 1; i++) {
		kf_ui_line(app, stdscr, y0 + i, x0, '|');
		kf_ui_line(app, stdscr, y0 + i, x0 + w - 1, '|');
	}
	kf_ui_line(app, stdscr, y0, x0, 'a');
	kf_ui_line(app, stdscr, y0, x0 + w - 1, 'b');
	kf_ui_line(app, stdscr, y0 + h - 1, x0, 'c');
	kf_ui_line(app, stdscr, y0 + h - 1, x0 + w - 1, 'd');
}

#define SEP " \xC2\xB7 "	/* " · ", between the parts of a line */

size_t kf_ui_wrap_cut(const char *s, int w)
{
	char line[512];
	size_t n = 0, brk = 0, part = 0;

	/* the longest run of whole words that fits, else what fits of one; its
	 * whole parts when they fit too */
	while (s[n] && n + 1 < sizeof(line)) {
		memcpy(line, s, n + 1);
		line[n + 1] = 0;
		if (kf_ui_width(line) > w)
			break;
		if (s[++n] == ' ' || !s[n])
			brk = n;
		if (!strncmp(s + n, SEP, sizeof(SEP) - 1))
			part = n;
	}
	if (s[n] && part)
		return part;
	if (!brk && *s) {	/* not inside a UTF-8 sequence; at least one character */
		for (brk = n; brk > 0 && ((unsigned char)s[brk] & 0xC0) == 0x80; brk--)
			;
		if (!brk)
			for (brk = 1; ((unsigned char)s[brk] & 0xC0) == 0x80; brk++)
				;
	}
	return brk;
}

int kf_ui_wrap(WINDOW *win, int y, int x, int w, const char *s, int ymin, int ymax)
{
	char line[512];
	int rows = 0;

	while (*s) {
		size_t brk = kf_ui_wrap_cut(s, w);

		if (brk >= sizeof(line))
			brk = sizeof(line) - 1;
		memcpy(line, s, brk);
		line[brk] = 0;
		if (y + rows >= ymin && y + rows < ymax)
			kf_ui_put(win, y + rows, x, w, line);
		rows++;
		s += brk;
		if (!strncmp(s, SEP, sizeof(SEP) - 1))
			s += sizeof(SEP) - 2;
		while (*s == ' ')
			s++;
	}
	return rows;
}

/* The help box: the screen's keys, then the global ones, each description
 * wrapped; when they do not fit, the rows from app->help_top (scrolled by
 * help_key). */
static void draw_help(struct kf_ui_app *app)
{
	const struct kf_ui_binding *tables[2] = { app->top->screen->keys, global_keys };
	int rows = 0, w = COLS - 4 < 80 ? COLS - 4 : 80, h = 0, y0 = 0, x0 = 0, y = 0, shown = 0;
	char note[512];

	app->help_rows = app->help_shown = 0;
	if (w < 20)
		return;
	for (int pass = 0; pass < 2; pass++) {	/* count the rows, then draw them */
		if (pass) {
			h = rows + 4 < LINES - 2 ? rows + 4 : LINES - 2;
			if (h < 5)
				return;
			shown = h - 4;
			if (app->help_top > rows - shown)
				app->help_top = rows - shown;
			if (app->help_top < 0)
				app->help_top = 0;
			y0 = (LINES - h) / 2;
			x0 = (COLS - w) / 2;
			frame(app, y0, x0, h, w);
			attron(A_BOLD);
			kf_ui_putf(stdscr, y0, x0 + 2, w - 4, " Help: %s ", app->top->screen->name);
			attroff(A_BOLD);
			y = y0 + 1 - app->help_top;
		}
		for (int t = 0; t < 2; t++) {
			for (const struct kf_ui_binding *b = tables[t]; b && b->key; b++) {
				if (!applies(b, app->top))
					continue;
				snprintf(note, sizeof(note), "%s%s", b->note,
					 (b->flags & KF_UI_WRITES) && app->opts->readonly ?
					 " (read-only: off)" : "");
				if (!pass) {
					rows += kf_ui_wrap(stdscr, 0, 0, w - 14, note, 0, 0);
					continue;
				}
				if (y >= y0 + 1 && y < y0 + 1 + shown) {
					attron(A_BOLD);
					kf_ui_put(stdscr, y, x0 + 2, 9, b->name);
					attroff(A_BOLD);
				}
				y += kf_ui_wrap(stdscr, y, x0 + 12, w - 14, note, y0 + 1, y0 + 1 + shown);
			}
		}
	}
	app->help_rows = rows;
	app->help_shown = shown;
	kf_ui_attr(app, stdscr, KF_UI_S_DIM);
	if (rows > shown)
		kf_ui_putf(stdscr, y0 + h - 2, x0 + 2, w - 4, "%d-%d of %d  Up/Down PgUp/PgDn: "
			   "scroll, other keys: close", app->help_top + 1, app->help_top + shown,
			   rows);
	else
		kf_ui_put(stdscr, y0 + h - 2, x0 + 2, w - 4, "any key closes this help");
	attrset(A_NORMAL);
}

/* A key while the help is shown: a scroll key moves it when it does not
 * fit, any other key closes it. */
static unsigned help_key(struct kf_ui_app *app, int ch)
{
	int step = ch == KEY_DOWN ? 1 : ch == KEY_UP ? -1 : ch == KEY_NPAGE ? app->help_shown :
		   ch == KEY_PPAGE ? -app->help_shown : 0;

	if (step && app->help_rows > app->help_shown)
		app->help_top += step;	/* draw_help keeps it in range */
	else
		app->input = IN_NONE;
	return KF_UI_REDRAW;
}

/* One footer item; returns the next x, or -1 when the line is full. */
static int footer_item(struct kf_ui_app *app, const struct kf_ui_binding *b, int y, int x)
{
	int len;

	if (!b->label || !applies(b, app->top) || (b->key == '/' && !app->top->list))
		return x;
	len = (int)(strlen(b->name) + strlen(b->label)) + 1;
	if (x + len > COLS)
		return -1;
	attron(A_BOLD);
	kf_ui_put(stdscr, y, x, COLS - x, b->name);
	attroff(A_BOLD);
	kf_ui_attr(app, stdscr, (b->flags & KF_UI_WRITES) && app->opts->readonly ? KF_UI_S_DIM
										 : KF_UI_S_HEAD);
	kf_ui_put(stdscr, y, x + (int)strlen(b->name) + 1, COLS - x, b->label);
	attrset(A_NORMAL);
	return x + len + 2;
}

/* "? help" first, then the screen's keys, then the other global ones, as
 * many as fit. */
static void draw_footer(struct kf_ui_app *app, int y)
{
	int x = footer_item(app, &global_keys[0], y, 0);

	for (const struct kf_ui_binding *b = app->top->screen->keys; x >= 0 && b && b->key; b++)
		x = footer_item(app, b, y, x);
	for (const struct kf_ui_binding *b = global_keys + 1; x >= 0 && b->key; b++)
		x = footer_item(app, b, y, x);
}

static void draw_frame(struct kf_ui_app *app)
{
	struct kf_ui_view *v = app->top;
	int status = LINES - 2, footer = LINES - 1;

	werase(stdscr);
	if (LINES < 6 || COLS < 20) {
		kf_ui_put(stdscr, 0, 0, COLS, "kingface: window too small");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	/* title */
	kf_ui_attr(app, stdscr, KF_UI_S_TITLE);
	mvhline(0, 0, ' ', COLS);
	kf_ui_putf(stdscr, 0, 0, COLS, " kingface │ %s", v->title);
	if (app->opts->readonly)
		kf_ui_put(stdscr, 0, COLS - 12, 12, " read-only ");
	wattrset(stdscr, A_NORMAL);
	if (v->list && v->list->filter[0] && app->input != IN_FILTER) {
		kf_ui_attr(app, stdscr, KF_UI_S_HEAD);
		kf_ui_putf(stdscr, status, 0, COLS, "filter: %s  (/ to change, Esc in / clears)",
			   v->list->filter);
		wattrset(stdscr, A_NORMAL);
	}
	v->screen->draw(v, app, stdscr);
	/* status line: processing, else the message */
	wattrset(stdscr, A_NORMAL);
	if (app->proc.shown) {
		mvhline(status, 0, ' ', COLS);
		proc_draw(app, status, COLS);
	} else if (app->msg[0]) {
		mvhline(status, 0, ' ', COLS);
		kf_ui_attr(app, stdscr, app->msg_error ? KF_UI_S_BAD : KF_UI_S_HEAD);
		kf_ui_put(stdscr, status, 0, COLS, app->msg);
		wattrset(stdscr, A_NORMAL);
	}
	/* footer: input, else the message when the status line is busy, else keys */
	mvhline(footer, 0, ' ', COLS);
	curs_set(0);
	if (app->input == IN_PROMPT || app->input == IN_FILTER) {
		const char *t = app->text;
		wchar_t wb[1100];
		int x, room;

		attron(A_BOLD);
		kf_ui_put(stdscr, footer, 0, COLS, app->label);
		attroff(A_BOLD);
		x = getcurx(stdscr);
		room = COLS - x - 1;
		/* show the end of a long answer; the cursor stays after it */
		while (*t && (to_wide(t, wb, 1100), wcswidth(wb, 1100)) > room) {
			t++;
			while ((*t & 0xC0) == 0x80)
				t++;
		}
		kf_ui_put(stdscr, footer, x, room, t);
		curs_set(1);
	} else if (app->input == IN_CONFIRM) {
		attron(A_BOLD);
		kf_ui_putf(stdscr, footer, 0, COLS, "%s (y/n)", app->label);
		attroff(A_BOLD);
	} else if (app->proc.shown && app->msg[0]) {
		kf_ui_attr(app, stdscr, app->msg_error ? KF_UI_S_BAD : KF_UI_S_HEAD);
		kf_ui_put(stdscr, footer, 0, COLS, app->msg);
		wattrset(stdscr, A_NORMAL);
	} else {
		draw_footer(app, footer);
	}
	if (app->input == IN_HELP)
		draw_help(app);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- keys ---- */

static void utf8_pop(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0)
		n--;
	s[n] = '\0';
}

static unsigned input_key(struct kf_ui_app *app, int ch)
{
	struct kf_ui_view *v = app->top;
	int filter = app->input == IN_FILTER;
	size_t n = strlen(app->text);

	if (app->input == IN_HELP)
		return help_key(app, ch);
	if (app->input == IN_CONFIRM) {
		app->input = IN_NONE;
		if (ch == 'y' || ch == 'Y')
			return app->answer(app, v, "y") | KF_UI_REDRAW;
		kf_ui_message(app, 0, "cancelled");
		return KF_UI_REDRAW;
	}
	if (ch == KF_UI_ESC) {
		app->input = IN_NONE;
		if (filter && v->list) {
			v->list->filter[0] = '\0';
			return (v->screen->on_key ? v->screen->on_key(v, app, KF_UI_CMD_FILTER) : 0) |
			       KF_UI_REDRAW;
		}
		return KF_UI_REDRAW;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		char answer[1024];

		app->input = IN_NONE;
		if (filter)
			return KF_UI_REDRAW;
		snprintf(answer, sizeof(answer), "%s", app->text);
		return app->answer(app, v, answer) | KF_UI_REDRAW;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		utf8_pop(app->text);
	} else if (ch == '\t' && app->complete) {
		char out[1024];

		app->complete(app, app->text, out, sizeof(out));
		snprintf(app->text, sizeof(app->text), "%s", out);
	} else if (ch == KF_UI_CTRL('u')) {
		app->text[0] = '\0';
	} else if (ch >= 32 && ch < 256 && ch != 127 && n + 1 < sizeof(app->text)) {
		app->text[n] = (char)ch;
		app->text[n + 1] = '\0';
	} else {
		return KF_UI_NONE;
	}
	if (filter && v->list) {
		snprintf(v->list->filter, sizeof(v->list->filter), "%s", app->text);
		v->list->sel = v->list->top = 0;
		return (v->screen->on_key ? v->screen->on_key(v, app, KF_UI_CMD_FILTER) : 0) |
		       KF_UI_REDRAW;
	}
	return KF_UI_REDRAW;
}

static unsigned quit_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	(void)app, (void)v, (void)a;
	return KF_UI_QUIT;
}

static unsigned back(struct kf_ui_app *app)
{
	if (app->top->below)
		return KF_UI_BACK;
	if (app->proc.run && !app->proc.stopping) {
		kf_ui_confirm(app, quit_answer, "'%s' is processing: stop it and quit?",
			      app->proc.gallery);
		return KF_UI_REDRAW;
	}
	return KF_UI_QUIT;
}

static unsigned key(struct kf_ui_app *app, int ch)
{
	struct kf_ui_view *v = app->top;

	if (ch == KEY_RESIZE)		/* ncurses has resized stdscr: lay out again */
		return KF_UI_REDRAW;
	if (app->input)
		return input_key(app, ch);
	app->msg[0] = '\0';
	switch (ch) {
	case KF_UI_CTRL('l'):
		return KF_UI_CLEAR | KF_UI_REDRAW | KF_UI_RELOAD;
	case '?':
		app->input = IN_HELP;
		app->help_top = 0;
		return KF_UI_REDRAW;
	case '/':
		if (!v->list)
			break;
		app->input = IN_FILTER;
		snprintf(app->label, sizeof(app->label), "/");
		snprintf(app->text, sizeof(app->text), "%s", v->list->filter);
		return KF_UI_REDRAW;
	case KF_UI_ESC:
		if (app->proc.run && !app->proc.stopping) {
			kf_worker_stop(app->proc.run);
			app->proc.stopping = 1;
			return KF_UI_REDRAW;
		}
		return back(app);
	case 'q':
		return back(app);
	case 'Q':
		if (app->proc.run && !app->proc.stopping) {
			kf_ui_confirm(app, quit_answer, "'%s' is processing: stop it and quit?",
				      app->proc.gallery);
			return KF_UI_REDRAW;
		}
		return KF_UI_QUIT;
	}
	for (const struct kf_ui_binding *b = v->screen->keys; b && b->key; b++) {
		if (b->key != ch || !applies(b, v))
			continue;
		if ((b->flags & KF_UI_WRITES) && app->opts->readonly) {
			kf_ui_message(app, 1, "read-only console: %s (%s) is disabled", b->name,
				      b->label ? b->label : b->note);
			return KF_UI_REDRAW;
		}
		v->last_key = ch;
		return v->screen->on_key ? v->screen->on_key(v, app, b->cmd) : KF_UI_NONE;
	}
	if (v->list && kf_ui_list_key(v->list, ch))
		return KF_UI_REDRAW;
	v->last_key = ch;
	return v->screen->on_key ? v->screen->on_key(v, app, 0) : KF_UI_NONE;
}

/* Ctrl-C / SIGTERM: quit as Q would, leaving the terminal as it was. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Has another connection committed since the last look (*version, -1 before
 * the first)? An error to read it is no change. */
static int data_changed(struct kf_ui_app *app, int64_t *version)
{
	struct kf_err err = KF_ERR_INIT;
	int64_t v;
	int changed;

	if (kf_store_data_version(app->store, &v, &err) < 0)
		return 0;
	changed = *version >= 0 && v != *version;
	*version = v;
	return changed;
}

/* In headless mode, after wgetch() found nothing: has stdin ended? It has
 * when poll says it is readable or hung up yet nothing is left to read (a
 * closed pipe, a file or /dev/null at its end). */
static int stdin_ended(void)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	int n = 0;

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		return 0;
	return ioctl(STDIN_FILENO, FIONREAD, &n) < 0 || n == 0;
}

/* Is there a compiled terminfo entry for name? Asked before newterm(), whose
 * failure for a missing entry leaves memory behind in ncurses. Looks where
 * ncurses does: $TERMINFO, ~/.terminfo, $TERMINFO_DIRS, the system folders;
 * entries are under their first letter (or its hex code). */
static int terminfo_has(const char *name)
{
	const char *sys[] = { getenv("TERMINFO"), "~", getenv("TERMINFO_DIRS"), "/etc/terminfo",
			      "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo" };
	const char *home = getenv("HOME");
	char path[4096];

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		const char *d = sys[i];

		while (d && *d) {
			size_t n = strcspn(d, ":");

			if (n == 1 && *d == '~')
				snprintf(path, sizeof(path), "%s/.terminfo/%c/%s", home ? home : "", name[0],
					 name);
			else
				snprintf(path, sizeof(path), "%.*s/%c/%s", (int)n, d, name[0], name);
			if (n && access(path, R_OK) == 0)
				return 1;
			if (n && *d != '~') {
				snprintf(path, sizeof(path), "%.*s/%02x/%s", (int)n, d,
					 (unsigned char)name[0], name);
				if (access(path, R_OK) == 0)
					return 1;
			}
			d += n;
			d += *d == ':';
		}
	}
	return 0;
}

int kf_ui_run(const struct kf_ui_opts *o, struct kf_err *err)
{
	struct kf_ui_app app;
	SCREEN *scr = NULL;
	unsigned flags = KF_UI_REDRAW;
	int64_t last_tick = 0, last_reload = 0, last_look = 0, version = -1;
	int stale = 0;		/* another process changed what is shown */
	unsigned keyed = 0;	/* a key asked for the next reload */
	int rc;

	memset(&app, 0, sizeof(app));
	app.opts = o;
	setlocale(LC_ALL, "");
	app.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if ((rc = kf_store_open(&app.store, o->db_path, KF_STORE_CREATE, err)) < 0)
		return rc;
	{
		const char *term = getenv("TERM");

		if (!term || !*term)
			term = o->headless ? "xterm" : "dumb";
		const char *ct = getenv("COLORTERM");

		/* COLORTERM says 24-bit colours: use the direct-colour entry of the
		 * terminal when the terminfo database has one (xterm-direct for
		 * xterm-256color), since curses writes the colour escapes */
		if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit")) && !getenv("NO_COLOR") &&
		    !strstr(term, "direct")) {
			char dterm[64];

			snprintf(dterm, sizeof(dterm), "%.*s-direct", (int)strcspn(term, "-"), term);
			if (terminfo_has(dterm))
				scr = newterm(dterm, stdout, stdin);
		}
		/* newterm, not initscr: an unknown TERM is an error we report */
		if (!scr && !(scr = newterm(term, stdout, stdin))) {
			kf_store_close(app.store);
			return kf_err_set(err, KF_E_UNSUPPORTED, "cannot use the terminal type '%s' "
					  "(try TERM=xterm-256color)", term);
		}
		set_term(scr);
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	wtimeout(stdscr, KF_UI_TICK_MS);
	curs_set(0);
	if (has_colors() && !getenv("NO_COLOR")) {
		start_color();
		use_default_colors();
		app.color = 1;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	kf_ui_push(&app, kf_ui_galleries_new());
	while (app.top && !interrupted) {
		int64_t t;
		int ch;

		if (flags & KF_UI_RELOAD) {
			app.background = !keyed;
			if (app.top->screen->reload)
				app.top->screen->reload(app.top, &app);
			app.background = 0;
			last_reload = now_ms();
			stale = 0;
		}
		keyed = 0;
		if (flags & KF_UI_CLEAR)
			clearok(curscr, TRUE);
		if (flags & (KF_UI_REDRAW | KF_UI_RELOAD | KF_UI_CLEAR))
			draw_frame(&app);
		flags = 0;
		ch = wgetch(stdscr);
		if (ch != ERR) {
			flags = key(&app, ch);
			keyed = flags & KF_UI_RELOAD;
			if (flags & KF_UI_QUIT)
				break;
			if (flags & KF_UI_BACK) {
				pop(&app);
				flags = KF_UI_REDRAW;
			}
		} else if (o->headless && stdin_ended()) {
			break;
		}
		t = now_ms();
		if (t - last_tick >= KF_UI_TICK_MS) {
			unsigned pf = proc_tick(&app);

			last_tick = t;
			/* reload rows at most twice a second while processing */
			if ((pf & KF_UI_RELOAD) && t - last_reload < 500 && app.proc.run)
				pf &= ~(unsigned)KF_UI_RELOAD;
			flags |= pf;
			if (app.top->screen->on_tick)
				flags |= app.top->screen->on_tick(app.top, &app);
		}
		/* another process (a worker, the command line) changed the database:
		 * the rows shown are reloaded, at most every KF_UI_LOOK_MS */
		if (t - last_look >= KF_UI_LOOK_MS) {
			stale |= data_changed(&app, &version);
			last_look = t;
		}
		if (stale && t - last_reload >= KF_UI_LOOK_MS)
			flags |= KF_UI_RELOAD;
	}
	if (app.proc.run) {
		struct kf_err werr = KF_ERR_INIT;

		kf_worker_stop(app.proc.run);
		kf_ui_busy(&app, "Stopping: in-flight photos finish, the rest stays queued…");
		kf_worker_wait(app.proc.run, &werr);
	}
	while (app.top) {
		struct kf_ui_view *v = app.top;

		app.top = v->below;
		v->screen->free(v);
	}
	endwin();
	if (scr)
		delscreen(scr);
	kf_engine_free(app.engine);
	kf_store_close(app.store);
	return KF_OK;
}
