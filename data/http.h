/* http.h: what the S3 and Rekognition clients share on top of libcurl: an
 * answer's body collected in memory up to a limit, which curl failures are
 * worth another attempt, and the pause between attempts.
 *
 * No global state: each client keeps its own body, random state and handle.
 */
#ifndef KF_HTTP_H
#define KF_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

struct kf_http_body {
	char *data;		/* NUL-terminated, kf_malloc'd (caller kf_frees); NULL
				 * until something came */
	size_t len, cap;
	size_t max;		/* more than this is refused: too_big */
	int too_big, nomem;
};

/* Append n bytes of p. Returns 0, or -1 (too_big or nomem set). */
int kf_http_body_add(struct kf_http_body *b, const char *p, size_t n);

/* CURLOPT_WRITEFUNCTION for a struct kf_http_body. */
size_t kf_http_body_write(char *p, size_t size, size_t n, void *ud);

/* A curl failure another attempt may cure (network, timeouts, resets). */
int kf_http_retryable(CURLcode c);

/* The pause before attempt (2, 3, ...): base_ms, doubled for each attempt
 * after the second, at most cap_ms, then times 1 +- 20% as u goes from 0 to 1
 * (u uniform in [0, 1]: the jitter that keeps clients from retrying in step). */
int64_t kf_http_backoff_ms(int64_t base_ms, int64_t cap_ms, int attempt, double u);

/* Sleep ms milliseconds, resuming after signals. */
void kf_http_sleep_ms(int64_t ms);

#endif
