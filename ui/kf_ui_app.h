/* kf_ui_app.h: the console's frame: the screen stack, the key tables, the
 * modal prompt / confirm / help overlays, the status and footer lines, and the
 * main loop (kf_ui_app.c).
 *
 * DESIGN
 * - A screen is a const table of functions (struct kf_ui_screen, like htop's
 *   PanelClass or tmux's window_mode) plus a key table (struct kf_ui_binding),
 *   from which the footer and the `?` help are generated. A screen instance
 *   embeds struct kf_ui_view first.
 * - Handlers return what changed (enum kf_ui_reaction), never draw: the loop
 *   draws a frame only when a flag asks for it, into stdscr, then one
 *   wnoutrefresh + doupdate.
 * - Ticks come at most every KF_UI_TICK_MS (10 a second): processing progress
 *   is read there (kf_ui_proc.h), so redraws while processing are capped.
 * - Only this thread calls curses; workers publish progress through the
 *   pool's atomic counters.
 */
#ifndef KF_UI_APP_H
#define KF_UI_APP_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdint.h>

#include "core/err.h"
#include "ui/kf_ui.h"
#include "ui/kf_ui_proc.h"

#define KF_UI_TICK_MS 100
/* How often the console looks whether another process changed the database
 * (then the screen reloads its rows). */
#define KF_UI_LOOK_MS 1000
#define KF_UI_CTRL(c) ((c) & 0x1f)
#define KF_UI_ESC 27

struct kf_store;
struct kf_engine;
struct kf_ui_app;
struct kf_ui_view;
struct kf_ui_list;

/* What a handler changed. */
enum kf_ui_reaction {
	KF_UI_NONE = 0,
	KF_UI_REDRAW = 1 << 0,		/* draw the frame again */
	KF_UI_RELOAD = 1 << 1,		/* the screen reloads its rows, then redraw */
	KF_UI_BACK = 1 << 2,		/* pop this screen */
	KF_UI_QUIT = 1 << 3,
	KF_UI_CLEAR = 1 << 4,		/* repaint the whole terminal (Ctrl-L) */
};

enum kf_ui_binding_flags {
	KF_UI_WRITES = 1 << 0,		/* changes the store: refused with --readonly */
};

/* One key of a screen: its code (a character or KEY_*), the name shown, its
 * word in the footer (NULL: only in the help), the help note, the command
 * passed to on_key, and in which modes (tabs) it applies (0: all). */
struct kf_ui_binding {
	int key;
	const char *name;
	const char *label;
	const char *note;
	int cmd;
	unsigned flags;
	unsigned modes;
};

/* Commands every screen may receive. */
enum kf_ui_cmd {
	KF_UI_CMD_FILTER = -1,		/* the list's filter text changed */
};

struct kf_ui_screen {
	const char *name;
	const struct kf_ui_binding *keys;	/* ends with key 0 */
	/* Draw into w, rows 1 .. LINES-3 (the frame draws the title, status and
	 * footer lines). */
	void (*draw)(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w);
	/* A bound key's cmd, or KF_UI_CMD_FILTER, or (cmd 0) an unbound key in
	 * v->last_key. NULL: none. */
	unsigned (*on_key)(struct kf_ui_view *v, struct kf_ui_app *app, int cmd);
	/* Every tick, at most every KF_UI_TICK_MS (NULL: none): for screens that
	 * watch something; processing progress is read by the frame itself. */
	unsigned (*on_tick)(struct kf_ui_view *v, struct kf_ui_app *app);
	/* Reload rows from the store (after KF_UI_RELOAD). */
	void (*reload)(struct kf_ui_view *v, struct kf_ui_app *app);
	void (*free)(struct kf_ui_view *v);
};

struct kf_ui_view {
	const struct kf_ui_screen *screen;
	struct kf_ui_view *below;	/* the screen under this one */
	struct kf_ui_list *list;	/* what `/` filters and arrows move, or NULL */
	unsigned mode;			/* current tab bit, for bindings' modes */
	char title[160];		/* shown in the title bar */
	int64_t gallery_id;		/* the gallery `p` processes, 0: none */
	int last_key;
};

/* A modal prompt's completion (Tab): fill out from the text typed. */
typedef void (*kf_ui_complete_fn)(struct kf_ui_app *app, const char *in, char *out, size_t n);
/* What happens with the answer: text for a prompt, "y"/"n" for a confirm. */
typedef unsigned (*kf_ui_answer_fn)(struct kf_ui_app *app, struct kf_ui_view *v,
				    const char *answer);

struct kf_ui_app {
	const struct kf_ui_opts *opts;
	struct kf_store *store;		/* the UI thread's connection */
	struct kf_engine *engine;	/* loaded on first use */
	struct kf_ui_view *top;
	struct kf_ui_proc proc;
	char msg[256];			/* status line message, until the next key */
	int msg_error;
	/* modal input */
	int input;			/* 0 none, 1 prompt, 2 confirm, 3 filter, 4 help */
	char label[200];
	char text[1024];
	kf_ui_complete_fn complete;
	kf_ui_answer_fn answer;
	int help_top;			/* the help's first row shown */
	int help_rows, help_shown;	/* its rows, and how many fit (draw_help) */
	int color;			/* colours usable for the chrome */
	int utf8;
	/* The reload under way follows work done elsewhere (this console's
	 * processing, another process), not a key: a screen may put off costly
	 * work (the People tab's clustering). */
	int background;
};

/* Push a new screen on top (it becomes visible); its reload is called. */
void kf_ui_push(struct kf_ui_app *app, struct kf_ui_view *v);

/* Show a message on the status line (printf-like); error: drawn as an error. */
void kf_ui_message(struct kf_ui_app *app, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Message from an error (its msg). */
void kf_ui_error(struct kf_ui_app *app, const struct kf_err *err);
/* Draw the frame now with msg on the status line: before a slow call. */
void kf_ui_busy(struct kf_ui_app *app, const char *msg);

/* Ask a line of text (Tab calls complete when given); answer gets it on
 * Enter, nothing happens on Esc. */
void kf_ui_prompt(struct kf_ui_app *app, const char *label, const char *initial,
		  kf_ui_complete_fn complete, kf_ui_answer_fn answer);
/* Ask y/n; answer gets "y" on y, nothing happens otherwise. */
void kf_ui_confirm(struct kf_ui_app *app, kf_ui_answer_fn answer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The engine, loaded once (SSD + descriptors); NULL with a message when the
 * models are missing or fail to load. */
struct kf_engine *kf_ui_engine(struct kf_ui_app *app);

/* Attributes of the chrome. */
enum kf_ui_style { KF_UI_S_TITLE = 1, KF_UI_S_SEL, KF_UI_S_OK, KF_UI_S_BAD, KF_UI_S_DIM,
		   KF_UI_S_HEAD };
attr_t kf_ui_style(struct kf_ui_app *app, enum kf_ui_style s, int *pair);
void kf_ui_attr(struct kf_ui_app *app, WINDOW *w, enum kf_ui_style s);

/* A line-drawing character at (y, x): '-', '|', or the corners 'a' (upper
 * left), 'b' (upper right), 'c' (lower left), 'd' (lower right). Unicode in a
 * UTF-8 locale (terminals disagree on the alternate charset there), else ACS. */
void kf_ui_line(struct kf_ui_app *app, WINDOW *w, int y, int x, char which);

/* Write s at (y, x) clipped to width w (UTF-8 aware: counts columns). */
void kf_ui_put(WINDOW *win, int y, int x, int w, const char *s);
/* s word-wrapped to w columns from row y (a word longer than w cut; at a
 * " · " between parts when one fits), the rows in [ymin, ymax) drawn;
 * returns the rows it takes. */
int kf_ui_wrap(WINDOW *win, int y, int x, int w, const char *s, int ymin, int ymax);
/* The bytes of s's first row at w columns: its whole words that fit, else
 * what fits of the first word (cut between UTF-8 characters, at least one);
 * the spaces after it are the caller's to skip. When s does not fit and
 * holds parts joined by " · ", the parts that fit (the separator is the
 * caller's to skip too). 0 for an empty s. */
size_t kf_ui_wrap_cut(const char *s, int w);
/* The columns s takes on the screen (as kf_ui_put counts them). */
int kf_ui_width(const char *s);
/* A table's cell: s cut to at most cols columns between characters and
 * padded with spaces to cols (as kf_ui_put counts them), into buf (n bytes),
 * which it returns. For "%s" where "%-*.*s" would count bytes: an accented
 * letter is two, and a cut could split it. */
#define KF_UI_CELL_MAX 1024
const char *kf_ui_cell(const char *s, int cols, char *buf, size_t n);
/* printf into a row, clipped to w columns. */
void kf_ui_putf(WINDOW *win, int y, int x, int w, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Start processing the gallery (the `p` key of every screen). */
unsigned kf_ui_process(struct kf_ui_app *app, int64_t gallery_id);

struct kf_face_ref;
/* Store the reference r (client_id, descriptor, source set by the caller) and
 * re-match the gallery; the message says what happened (kf_ui_enroll.c). */
unsigned kf_ui_enroll_commit(struct kf_ui_app *app, int64_t gallery_id, struct kf_face_ref *r,
			     const char *client, const char *what);
/* Import folder dir (after a y to kf_ui_import_question's question): its
 * clients added and photos enrolled in v's gallery (data/enroll.h
 * kf_enroll_import_group), the gallery re-matched; the message says what
 * came of it. */
unsigned kf_ui_import_refs(struct kf_ui_app *app, struct kf_ui_view *v, const char *dir);
/* What that import would do (data/enroll.h kf_enroll_import_plan), as the
 * question asked before it, into q (n bytes): 0, or -1 with the error on
 * the status line (a folder that is missing or holds no reference photo). */
int kf_ui_import_question(struct kf_ui_app *app, int64_t gallery_id, const char *dir, char *q,
			  size_t n);
/* The client of gallery gallery_id that typed names (data/store_client.h
 * kf_store_client_named: in other letters too): *id, and name (n >= KF_NAME_MAX
 * + 1 bytes) its name. KF_E_NOTFOUND with name the typed one trimmed, to add;
 * any other error is on the status line. */
int kf_ui_client_typed(struct kf_ui_app *app, int64_t gallery_id, const char *typed, char *name,
		       size_t n, int64_t *id);
/* Tab completion of a file path (data/paths.h kf_paths_complete). */
void kf_ui_complete_path(struct kf_ui_app *app, const char *in, char *out, size_t n);
/* Tab completion of a client name of app->top's gallery. */
void kf_ui_complete_client(struct kf_ui_app *app, const char *in, char *out, size_t n);

/* Screens (one module each). */
struct kf_ui_view *kf_ui_galleries_new(void);
struct kf_ui_view *kf_ui_gallery_new(int64_t gallery_id, const char *name);
/* A client's reference faces; d removes one. */
struct kf_ui_view *kf_ui_refs_new(int64_t gallery_id, int64_t client_id, const char *name);
struct kf_ui_view *kf_ui_client_photos_new(int64_t gallery_id, int64_t client_id,
					   const char *name);
struct kf_ui_view *kf_ui_detail_new(int64_t gallery_id, int64_t photo_id, int face_index);

#endif
