/* err.h: the one way kingface reports errors.
 *
 * Every fallible function returns int: KF_OK (0) or a negative enum kf_err_code,
 * and fills a caller-owned struct kf_err with a one-line message. The first error
 * wins: kf_err_set() writes the message only while it is still empty, so the most
 * specific cause survives; outer layers add context in front with kf_err_context().
 *
 * Messages follow git's wording: lowercase, no final period, what failed first,
 * the subject quoted: "cannot open 'gallery.db': Permission denied".
 *
 * Error state is per call (the struct the caller passes), never global. Every
 * function here accepts err == NULL and then only returns the code.
 * Thread-safe: no shared state.
 */
#ifndef KF_ERR_H
#define KF_ERR_H

#include <stddef.h>

enum kf_err_code {
	KF_OK = 0,
	KF_E_NOMEM = -1,	/* an allocation failed */
	KF_E_IO = -2,		/* a file system or operating system call failed */
	KF_E_FORMAT = -3,	/* input bytes are malformed: image, manifest, JSON */
	KF_E_INVALID = -4,	/* a bad argument, option or setting value */
	KF_E_NOTFOUND = -5,	/* a named gallery, client, photo or file is missing */
	KF_E_EXISTS = -6,	/* the name or row already exists */
	KF_E_DB = -7,		/* the database failed or is not ours */
	KF_E_BUSY = -8,		/* a resource is locked by someone else */
	KF_E_UNSUPPORTED = -9,	/* valid input that this build cannot handle */
	KF_E_NET = -10,		/* a network request failed */
	KF_E_AUTH = -11,	/* credentials missing or refused */
	KF_E_NOFACE = -12,	/* no face where one was required */
	KF_E_CANCELED = -13,	/* stopped on request */
};

#define KF_ERR_MSG_SIZE 256

struct kf_err {
	int code;
	char msg[KF_ERR_MSG_SIZE];
};

#define KF_ERR_INIT { 0, { 0 } }

#if defined(__GNUC__)
#define KF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KF_PRINTF(f, a)
#endif

/* Reset err to "no error". */
void kf_err_clear(struct kf_err *err);

/* Record an error: sets err->code and, if err->msg is still empty, the message.
 * Returns code, so that `return kf_err_set(err, KF_E_FORMAT, "...");` is one line. */
int kf_err_set(struct kf_err *err, int code, const char *fmt, ...) KF_PRINTF(3, 4);

/* As kf_err_set(), with ": strerror(errno)" appended (errno read on entry). */
int kf_err_errno(struct kf_err *err, int code, const char *fmt, ...) KF_PRINTF(3, 4);

/* Put "<context>: " in front of the message already recorded (truncating the
 * end if needed). Does nothing when no error is recorded. Returns err->code. */
int kf_err_context(struct kf_err *err, const char *fmt, ...) KF_PRINTF(2, 3);

/* A short static name for a code ("out of memory", "bad format", ...). */
const char *kf_err_str(int code);

#endif
