/* rek_json.c: what the Rekognition client reads from AWS's answers
 * (rekognition.h): DetectFaces, IndexFaces, SearchFacesByImage and
 * DeleteFaces results and error bodies, by the API reference's field names,
 * with cJSON. Pure: no I/O; fuzzed (tests/fuzz/fuzz_rek_json.c). */
#include "data/rekognition.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"

static void json_str(const cJSON *o, const char *name, char *out, size_t size)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	if (s && size)
		snprintf(out, size, "%s", s);
}

void kf_rek_parse_error(const char *json, size_t len, const char *header_type,
			char *type, size_t type_size, char *msg, size_t msg_size)
{
	cJSON *o = json && len ? cJSON_ParseWithLength(json, len) : NULL;

	if (type_size)
		type[0] = '\0';
	if (msg_size)
		msg[0] = '\0';
	if (cJSON_IsObject(o)) {
		json_str(o, "__type", type, type_size);
		json_str(o, "Message", msg, msg_size);
		if (msg_size && !msg[0])
			json_str(o, "message", msg, msg_size);
	}
	cJSON_Delete(o);
	if (type_size && !type[0] && header_type)
		snprintf(type, type_size, "%s", header_type);
	/* "com.amazonaws.rekognition#ThrottlingException" -> "ThrottlingException" */
	if (type_size) {
		char *hash = strrchr(type, '#');

		if (hash)
			memmove(type, hash + 1, strlen(hash + 1) + 1);
		type[strcspn(type, ":")] = '\0';
	}
	/* one line: AWS messages have none, but the body is not ours */
	for (size_t i = 0; i < msg_size && msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = ' ';
}

static int get_number(const cJSON *o, const char *name, double *out, struct kf_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: '%s' is not a number", name);
	*out = v->valuedouble;
	return KF_OK;
}

static int get_box(const cJSON *o, const char *name, struct kf_rek_box *b, struct kf_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	int rc;

	if (!cJSON_IsObject(v))
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: no '%s' object", name);
	if ((rc = get_number(v, "Width", &b->width, err)) < 0 ||
	    (rc = get_number(v, "Height", &b->height, err)) < 0 ||
	    (rc = get_number(v, "Left", &b->left, err)) < 0 ||
	    (rc = get_number(v, "Top", &b->top, err)) < 0)
		return kf_err_context(err, "%s", name);
	return KF_OK;
}

static int get_string(const cJSON *o, const char *name, int required, char *out, size_t size,
		      struct kf_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	size_t n;

	out[0] = '\0';
	if (!v && !required)
		return KF_OK;
	if (!cJSON_IsString(v) || !v->valuestring)
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: '%s' is not a string", name);
	if ((n = strlen(v->valuestring)) >= size)
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: '%s' is too long (%zu)",
				  name, n);
	if (required && n == 0)	/* "" or a string that starts with a NUL byte */
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: '%s' is empty", name);
	memcpy(out, v->valuestring, n + 1);
	return KF_OK;
}

/* The array name of o with its size; a missing array is empty when !required. */
static int get_array(const cJSON *o, const char *name, int required, const cJSON **arr,
		     size_t *n, struct kf_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*arr = NULL;
	*n = 0;
	if (!v && !required)
		return KF_OK;
	if (!cJSON_IsArray(v))
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: no '%s' array", name);
	*arr = v;
	*n = (size_t)cJSON_GetArraySize(v);
	return KF_OK;
}

static int parse_root(const char *json, size_t len, cJSON **root, struct kf_err *err)
{
	*root = json ? cJSON_ParseWithLength(json, len) : NULL;
	if (!cJSON_IsObject(*root)) {
		cJSON_Delete(*root);
		*root = NULL;
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer is not a JSON object");
	}
	return KF_OK;
}

void kf_rek_detect_release(struct kf_rek_detect_result *res)
{
	if (res) {
		kf_free(res->faces);
		memset(res, 0, sizeof(*res));
	}
}

int kf_rek_parse_detect(const char *json, size_t len, struct kf_rek_detect_result *out,
			struct kf_err *err)
{
	const cJSON *arr, *it;
	cJSON *root;
	size_t n, i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_root(json, len, &root, err)) < 0)
		return rc;
	if ((rc = get_array(root, "FaceDetails", 1, &arr, &n, err)) < 0)
		goto out;
	if (n && !(out->faces = kf_calloc(n, sizeof(*out->faces)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory reading %zu faces", n);
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		struct kf_rek_face *f = &out->faces[i];

		if ((rc = get_box(it, "BoundingBox", &f->box, err)) < 0 ||
		    (rc = get_number(it, "Confidence", &f->confidence, err)) < 0) {
			kf_err_context(err, "FaceDetails[%zu]", i);
			goto out;
		}
		i++;
	}
	out->n = n;
out:
	cJSON_Delete(root);
	if (rc < 0)
		kf_rek_detect_release(out);
	return rc;
}

void kf_rek_index_release(struct kf_rek_index_result *res)
{
	if (res) {
		kf_free(res->faces);
		memset(res, 0, sizeof(*res));
	}
}

/* A stored Face: FaceId, ExternalImageId (optional), BoundingBox, Confidence. */
static int get_face(const cJSON *face, char *face_id, char *external_id, struct kf_rek_box *box,
		    double *confidence, struct kf_err *err)
{
	int rc;

	if (!cJSON_IsObject(face))
		return kf_err_set(err, KF_E_FORMAT, "rekognition answer: no 'Face' object");
	if ((rc = get_string(face, "FaceId", 1, face_id, KF_REK_FACE_ID_SIZE, err)) < 0 ||
	    (rc = get_string(face, "ExternalImageId", 0, external_id, KF_REK_EXTERNAL_ID_SIZE,
			     err)) < 0 ||
	    (rc = get_box(face, "BoundingBox", box, err)) < 0 ||
	    (rc = get_number(face, "Confidence", confidence, err)) < 0)
		return kf_err_context(err, "Face");
	return KF_OK;
}

int kf_rek_parse_index(const char *json, size_t len, struct kf_rek_index_result *out,
		       struct kf_err *err)
{
	const cJSON *arr, *un, *it;
	cJSON *root;
	size_t n, i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_root(json, len, &root, err)) < 0)
		return rc;
	if ((rc = get_array(root, "FaceRecords", 1, &arr, &n, err)) < 0 ||
	    (rc = get_array(root, "UnindexedFaces", 0, &un, &out->n_unindexed, err)) < 0)
		goto out;
	if (n && !(out->faces = kf_calloc(n, sizeof(*out->faces)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory reading %zu faces", n);
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		struct kf_rek_face_record *f = &out->faces[i];

		rc = get_face(cJSON_GetObjectItemCaseSensitive(it, "Face"), f->face_id,
			      f->external_id, &f->box, &f->confidence, err);
		if (rc < 0) {
			kf_err_context(err, "FaceRecords[%zu]", i);
			goto out;
		}
		i++;
	}
	out->n = n;
out:
	cJSON_Delete(root);
	if (rc < 0)
		kf_rek_index_release(out);
	return rc;
}

void kf_rek_search_release(struct kf_rek_search_result *res)
{
	if (res) {
		kf_free(res->matches);
		memset(res, 0, sizeof(*res));
	}
}

int kf_rek_parse_search(const char *json, size_t len, struct kf_rek_search_result *out,
			struct kf_err *err)
{
	const cJSON *arr, *it;
	cJSON *root;
	size_t n, i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_root(json, len, &root, err)) < 0)
		return rc;
	if ((rc = get_array(root, "FaceMatches", 1, &arr, &n, err)) < 0 ||
	    (rc = get_box(root, "SearchedFaceBoundingBox", &out->searched_box, err)) < 0 ||
	    (rc = get_number(root, "SearchedFaceConfidence", &out->searched_confidence, err)) < 0)
		goto out;
	if (n && !(out->matches = kf_calloc(n, sizeof(*out->matches)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory reading %zu matches", n);
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		struct kf_rek_match *m = &out->matches[i];
		struct kf_rek_box box;

		if ((rc = get_number(it, "Similarity", &m->similarity, err)) < 0 ||
		    (rc = get_face(cJSON_GetObjectItemCaseSensitive(it, "Face"), m->face_id,
				   m->external_id, &box, &m->confidence, err)) < 0) {
			kf_err_context(err, "FaceMatches[%zu]", i);
			goto out;
		}
		i++;
	}
	out->n = n;
out:
	cJSON_Delete(root);
	if (rc < 0)
		kf_rek_search_release(out);
	return rc;
}

int kf_rek_parse_delete_faces(const char *json, size_t len, size_t *n_deleted,
			      struct kf_err *err)
{
	const cJSON *arr, *it;
	cJSON *root;
	size_t n;
	int rc;

	*n_deleted = 0;
	if ((rc = parse_root(json, len, &root, err)) < 0)
		return rc;
	if ((rc = get_array(root, "DeletedFaces", 1, &arr, &n, err)) == KF_OK) {
		cJSON_ArrayForEach(it, arr)
			if (!cJSON_IsString(it)) {
				rc = kf_err_set(err, KF_E_FORMAT, "rekognition answer: "
						"'DeletedFaces' holds a non-string");
				break;
			}
		if (rc == KF_OK)
			*n_deleted = n;
	}
	cJSON_Delete(root);
	return rc;
}

