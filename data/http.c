/* http.c: body, retries and backoff for the HTTP clients (http.h). */
#include "data/http.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

int kf_http_body_add(struct kf_http_body *b, const char *p, size_t n)
{
	if (n > b->max - b->len) {
		b->too_big = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(d = kf_realloc(b->data, cap))) {
			b->nomem = 1;
			return -1;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

size_t kf_http_body_write(char *p, size_t size, size_t n, void *ud)
{
	return kf_http_body_add(ud, p, size * n) < 0 ? 0 : size * n;
}

int kf_http_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

int64_t kf_http_backoff_ms(int64_t base_ms, int64_t cap_ms, int attempt, double u)
{
	double d = (double)base_ms;

	for (int i = 2; i < attempt && d < (double)cap_ms; i++)
		d *= 2;
	if (d > (double)cap_ms)
		d = (double)cap_ms;
	d *= 1.0 + 0.2 * (2.0 * u - 1.0);
	return d < 0 ? 0 : (int64_t)d;
}

void kf_http_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
