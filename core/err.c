/* err.c: error recording (see err.h). */
#include "core/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kf_err_clear(struct kf_err *err)
{
	if (err) {
		err->code = KF_OK;
		err->msg[0] = '\0';
	}
}

KF_PRINTF(3, 0)
static void set_msg(struct kf_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	if (err->msg[0] == '\0')
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int kf_err_set(struct kf_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	set_msg(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int kf_err_errno(struct kf_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!err || err->msg[0] != '\0')
		return err ? (err->code = code) : code;
	va_start(ap, fmt);
	set_msg(err, code, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	return code;
}

int kf_err_context(struct kf_err *err, const char *fmt, ...)
{
	char buf[2 * KF_ERR_MSG_SIZE + 2];
	size_t n;
	va_list ap;

	if (!err || err->code == KF_OK)
		return err ? err->code : KF_OK;
	va_start(ap, fmt);
	vsnprintf(buf, KF_ERR_MSG_SIZE, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n++] = ':';
	buf[n++] = ' ';
	memcpy(buf + n, err->msg, KF_ERR_MSG_SIZE);	/* msg is NUL-terminated */
	memcpy(err->msg, buf, KF_ERR_MSG_SIZE - 1);
	err->msg[KF_ERR_MSG_SIZE - 1] = '\0';
	return err->code;
}

const char *kf_err_str(int code)
{
	switch (code) {
	case KF_OK: return "ok";
	case KF_E_NOMEM: return "out of memory";
	case KF_E_IO: return "input/output error";
	case KF_E_FORMAT: return "bad format";
	case KF_E_INVALID: return "invalid argument";
	case KF_E_NOTFOUND: return "not found";
	case KF_E_EXISTS: return "already exists";
	case KF_E_DB: return "database error";
	case KF_E_BUSY: return "busy";
	case KF_E_UNSUPPORTED: return "unsupported";
	case KF_E_NET: return "network error";
	case KF_E_AUTH: return "authentication failed";
	case KF_E_NOFACE: return "no face found";
	case KF_E_CANCELED: return "canceled";
	}
	return "unknown error";
}
