/* rekognition.h: an Amazon Rekognition client (the remote face engine of
 * connected mode), over libcurl, signed with SigV4 (data/sigv4.h).
 *
 * Wire: POST / to the endpoint, AWS JSON 1.1 (`X-Amz-Target:
 * RekognitionService.<Action>`, `Content-Type: application/x-amz-json-1.1`),
 * bodies built and parsed with cJSON, images sent as base64 bytes (at most
 * KF_REK_MAX_IMAGE of them). The host, content type and target headers are
 * signed (service "rekognition").
 *
 * Collections: one per gallery, "kingface-<galleryId>" (kf_rek_collection_id),
 * created on the first enrollment (kf_rek_create_collection, which treats
 * ResourceAlreadyExistsException as success), faces deleted when a client or a
 * reference is removed, the collection with the gallery.
 *
 * Retries: ThrottlingException, ProvisionedThroughputExceededException,
 * InternalServerError/ServiceUnavailable, any HTTP 5xx and network failures
 * (connect, timeout, reset) are retried up to max_attempts times in all, after
 * base * 2^(n-1) ms (capped at KF_REK_MAX_BACKOFF_MS) with ±20% jitter. Every
 * request sent counts in rek->calls (retries too: that is what AWS bills).
 *
 * Errors (the message says which action failed and carries AWS's exception
 * name and reason, e.g. "rekognition DetectFaces: InvalidImageFormatException:
 * Request has invalid image format"):
 *   KF_E_AUTH         UnrecognizedClientException / InvalidClientTokenId
 *                     (names AWS_ACCESS_KEY_ID), InvalidSignatureException
 *                     (names AWS_SECRET_ACCESS_KEY, or the clock when the
 *                     signature expired), ExpiredTokenException
 *                     (AWS_SESSION_TOKEN), AccessDeniedException,
 *                     MissingAuthenticationTokenException. The secret and the
 *                     token never appear in a message.
 *   KF_E_FORMAT       InvalidImageFormatException, a response that is not the
 *                     JSON the API reference documents
 *   KF_E_UNSUPPORTED  ImageTooLargeException, an image over KF_REK_MAX_IMAGE
 *   KF_E_NOFACE       InvalidParameterException from SearchFacesByImage (AWS's
 *                     way of saying "no face in the image")
 *   KF_E_INVALID      other InvalidParameterException, ValidationException, a
 *                     bad argument or setting
 *   KF_E_NOTFOUND     ResourceNotFoundException (no such collection)
 *   KF_E_NET          network failure or retryable error after the last
 *                     attempt, any other answer
 *   KF_E_NOMEM
 *
 * Ownership: result structs are filled by the calls and released by their
 * _release function (NULL-safe, zeroes them); on error they are left zeroed.
 *
 * Threads: a struct kf_rek owns one libcurl easy handle: use it from one
 * thread at a time (one per worker). curl_global_init() is the program's job
 * (libcurl >= 7.84 does it safely on first use). No global state here.
 *
 * Example: enroll a client, then match a photo.
 *
 *	struct kf_rek rek;
 *	char coll[KF_REK_COLLECTION_SIZE];
 *	struct kf_rek_index_result ix = { 0 };
 *	struct kf_rek_photo_result ph = { 0 };
 *	if (kf_rek_open(&rek, &cfg, &err) < 0) ... err.msg names the variable ...
 *	kf_rek_collection_id("42", coll, &err);
 *	kf_rek_create_collection(&rek, coll, &err);
 *	kf_rek_index_faces(&rek, coll, jpg, len, "client-7", 1, KF_REK_QUALITY_AUTO, &ix, &err);
 *	kf_rek_match_photo(&rek, coll, photo, photo_len, 90.0, n_clients, &ph, &err);
 *	... ph.faces[i].matches[j].external_id is a client id ...
 *	kf_rek_photo_release(&ph);
 *	kf_rek_index_release(&ix);
 *	kf_rek_close(&rek);
 */
#ifndef KF_REKOGNITION_H
#define KF_REKOGNITION_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct kf_config;

#define KF_REK_MAX_IMAGE (5L << 20)		/* bytes of an image sent inline */
#define KF_REK_COLLECTION_SIZE 256		/* "kingface-<id>" + NUL, AWS max 255 */
#define KF_REK_FACE_ID_SIZE 64			/* a FaceId (a UUID) + NUL */
#define KF_REK_EXTERNAL_ID_SIZE 256		/* an ExternalImageId (max 255) + NUL */
#define KF_REK_MAX_RESPONSE (16L << 20)		/* longer answers are refused */
#define KF_REK_DEFAULT_ATTEMPTS 6		/* in all, the first included */
#define KF_REK_DEFAULT_BACKOFF_MS 200		/* first retry delay */
#define KF_REK_MAX_BACKOFF_MS 20000
#define KF_REK_CROP_MARGIN 0.2			/* kf_rek_match_photo's crops */
#define KF_REK_CROP_QUALITY 90

/* Settings read by kf_rek_open() (environment first, then the config file):
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION   required
 *   AWS_SESSION_TOKEN                optional (temporary credentials)
 *   KINGFACE_REKOGNITION_ENDPOINT    optional, else https://rekognition.<region>.amazonaws.com
 *   KINGFACE_REK_BACKOFF_MS          optional first retry delay (tests: 1)
 *   KINGFACE_REK_MAX_ATTEMPTS        optional, 1..20
 *   KINGFACE_REK_TIMEOUT_MS          optional, whole request (default 60000) */
struct kf_rek {
	void *curl;		/* CURL *, one per struct */
	char *endpoint;		/* "https://host[:port]", no trailing '/' */
	char *host;		/* Host header value: "host[:port]" */
	char *region, *key_id, *secret, *token;	/* kf_malloc'd; secret and token wiped on close */
	int max_attempts;
	long backoff_ms, timeout_ms;
	uint64_t rng;		/* jitter state, per handle */
	unsigned long calls;	/* HTTP requests sent, retries included */
	unsigned long retries;	/* of which retries */
};

/* Read the settings above (cfg may be NULL: the environment only) and make
 * the curl handle. A missing setting is
 * KF_E_AUTH (credentials) or KF_E_INVALID (region, endpoint, numbers) naming
 * the variable; on error rek holds nothing (kf_rek_close is harmless). */
int kf_rek_open(struct kf_rek *rek, const struct kf_config *cfg, struct kf_err *err);

/* Free everything, wiping the secret and the token. NULL-safe, idempotent. */
void kf_rek_close(struct kf_rek *rek);

/* "kingface-<gallery_id>" into out. gallery_id must be 1..(255-9) characters
 * of [A-Za-z0-9_.-] (AWS's CollectionId pattern), else KF_E_INVALID. */
int kf_rek_collection_id(const char *gallery_id, char out[KF_REK_COLLECTION_SIZE],
			 struct kf_err *err);

/* A box in fractions of the upright image, as Rekognition's BoundingBox. */
struct kf_rek_box {
	double width, height, left, top;
};

/* One face found by DetectFaces. */
struct kf_rek_face {
	struct kf_rek_box box;
	double confidence;
};

struct kf_rek_detect_result {
	struct kf_rek_face *faces;	/* kf_malloc'd, n entries */
	size_t n;
};

/* One indexed face (IndexFaces FaceRecords[].Face). */
struct kf_rek_face_record {
	char face_id[KF_REK_FACE_ID_SIZE];
	char external_id[KF_REK_EXTERNAL_ID_SIZE];	/* "" when none */
	struct kf_rek_box box;
	double confidence;
};

struct kf_rek_index_result {
	struct kf_rek_face_record *faces;	/* kf_malloc'd, n entries */
	size_t n;
	size_t n_unindexed;	/* UnindexedFaces: too many, low quality */
};

/* One SearchFacesByImage match. */
struct kf_rek_match {
	double similarity;				/* 0..100 */
	char face_id[KF_REK_FACE_ID_SIZE];
	char external_id[KF_REK_EXTERNAL_ID_SIZE];	/* our client id; "" when none */
	double confidence;
};

struct kf_rek_search_result {
	struct kf_rek_match *matches;	/* kf_malloc'd, n entries, best first */
	size_t n;
	struct kf_rek_box searched_box;	/* SearchedFaceBoundingBox, in the searched image */
	double searched_confidence;
};

enum kf_rek_quality {
	KF_REK_QUALITY_AUTO = 0,	/* AWS's default */
	KF_REK_QUALITY_NONE,
	KF_REK_QUALITY_LOW,
	KF_REK_QUALITY_MEDIUM,
	KF_REK_QUALITY_HIGH,
};

/* CreateCollection; an existing collection is success. */
int kf_rek_create_collection(struct kf_rek *rek, const char *collection, struct kf_err *err);

/* DeleteCollection; a missing collection is KF_E_NOTFOUND. */
int kf_rek_delete_collection(struct kf_rek *rek, const char *collection, struct kf_err *err);

/* IndexFaces of img[0..len) (JPEG or PNG, at most KF_REK_MAX_IMAGE bytes) into
 * collection, each face tagged with external_id (the client id; NULL for
 * none; [A-Za-z0-9_.:-], 1..255). max_faces 0 leaves AWS's default; give 1 only
 * after the local detector confirmed exactly one face (or send the chosen
 * face's crop). *out gets the indexed faces and how many were left out. */
int kf_rek_index_faces(struct kf_rek *rek, const char *collection, const uint8_t *img,
		       size_t len, const char *external_id, int max_faces,
		       enum kf_rek_quality quality, struct kf_rek_index_result *out,
		       struct kf_err *err);
void kf_rek_index_release(struct kf_rek_index_result *res);

/* DeleteFaces of n (1..4096) face ids; *n_deleted (may be NULL) gets how many
 * AWS deleted (ids it did not know are not an error). */
int kf_rek_delete_faces(struct kf_rek *rek, const char *collection,
			const char *const *face_ids, size_t n, size_t *n_deleted,
			struct kf_err *err);

/* DetectFaces of img (same limits as kf_rek_index_faces). */
int kf_rek_detect_faces(struct kf_rek *rek, const uint8_t *img, size_t len,
			struct kf_rek_detect_result *out, struct kf_err *err);
void kf_rek_detect_release(struct kf_rek_detect_result *res);

/* SearchFacesByImage: the largest face of img against collection, matches of
 * at least threshold (0..100) similarity, at most max_faces (1..4096) of them.
 * No face in img: KF_E_NOFACE with AWS's reason. */
int kf_rek_search_faces(struct kf_rek *rek, const char *collection, const uint8_t *img,
			size_t len, double threshold, int max_faces,
			struct kf_rek_search_result *out, struct kf_err *err);
void kf_rek_search_release(struct kf_rek_search_result *res);

/* One face of a matched photo: where DetectFaces found it and what the search
 * of its crop matched (n_matches may be 0: nobody enrolled looks like it). */
struct kf_rek_photo_face {
	struct kf_rek_box box;		/* in the photo */
	double confidence;
	struct kf_rek_match *matches;	/* kf_malloc'd */
	size_t n_matches;
};

struct kf_rek_photo_result {
	struct kf_rek_photo_face *faces;	/* kf_malloc'd, in DetectFaces order */
	size_t n;
};

/* Match a photo (JPEG or PNG bytes) against collection: DetectFaces on the
 * photo (re-encoded under KF_REK_MAX_IMAGE first when larger,
 * core/image_encode.h), then, for each face, SearchFacesByImage on its crop
 * (kf_image_crop_jpeg, KF_REK_CROP_MARGIN, KF_REK_CROP_QUALITY, from the
 * photo decoded upright at full size) with threshold and max_faces (the
 * number of clients). Any failure fails the whole photo with the reason,
 * "face N: " in front for a crop (KF_E_NOFACE when AWS found no face in it).
 * Costs 1 + (number of faces) calls, plus retries. */
int kf_rek_match_photo(struct kf_rek *rek, const char *collection, const uint8_t *photo,
		       size_t len, double threshold, int max_faces,
		       struct kf_rek_photo_result *out, struct kf_err *err);
void kf_rek_photo_release(struct kf_rek_photo_result *res);

/* ---- response parsers (public for the tests and the fuzzer) ---------------
 * Parse a 2xx body of the action into *out. Only the fields above are read;
 * unknown fields are ignored, a missing required one or a wrong type is
 * KF_E_FORMAT naming it. Strings longer than the fields above are KF_E_FORMAT.
 * Same ownership as the calls. No network, thread-safe. */
int kf_rek_parse_detect(const char *json, size_t len, struct kf_rek_detect_result *out,
			struct kf_err *err);
int kf_rek_parse_index(const char *json, size_t len, struct kf_rek_index_result *out,
		       struct kf_err *err);
int kf_rek_parse_search(const char *json, size_t len, struct kf_rek_search_result *out,
			struct kf_err *err);
/* DeleteFaces: the number of DeletedFaces. */
int kf_rek_parse_delete_faces(const char *json, size_t len, size_t *n_deleted,
			      struct kf_err *err);

/* An error answer: the exception name from "__type" (a "namespace#" prefix
 * dropped) or the x-amzn-ErrorType header value given (may be NULL), and the
 * reason from "Message" or "message". type and msg are always NUL-terminated,
 * empty when absent (then the body is not JSON, or not an AWS error). */
void kf_rek_parse_error(const char *json, size_t len, const char *header_type,
			char *type, size_t type_size, char *msg, size_t msg_size);

#endif
