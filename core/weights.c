/* weights.c: tfjs weights-manifest parser and shard loader (format in weights.h).
 *
 * Two passes: kf_weights_parse_manifest() turns the JSON into a validated table
 * (names, shapes, dtypes, offsets), then kf_weights_load() reads each group's
 * shards into one buffer, checks size and sha256, and decodes every tensor to
 * float32 / int32 in one 64-byte aligned block the tensors point into.
 */
#include "core/weights.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

struct kf_weights {
	char *path;			/* the manifest */
	char *dir;
	struct kf_manifest man;
	struct kf_tensor *tensors;	/* man.n_entries */
	void *data;			/* decoded values, 4 bytes each */
};

/* sha256 of the shards of the models kingface uses (tests/data/reference/models.md). */
static const struct {
	const char *file;
	const char *sha256;
} known_shards[] = {
	{ "ssd_mobilenetv1_model.bin",
	  "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8" },
	{ "tiny_face_detector_model.bin",
	  "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871" },
	{ "face_landmark_68_model.bin",
	  "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b" },
	{ "face_recognition_model.bin",
	  "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589" },
};

/* ---- manifest ---------------------------------------------------------- */

void kf_manifest_release(struct kf_manifest *m)
{
	if (!m)
		return;
	for (int g = 0; g < m->n_groups; g++) {
		for (int i = 0; i < m->groups[g].n_paths; i++)
			kf_free(m->groups[g].paths[i]);
		kf_free(m->groups[g].paths);
	}
	kf_free(m->groups);
	kf_free(m->entries);
	memset(m, 0, sizeof(*m));
}

static size_t quant_size(enum kf_weight_quant q, enum kf_dtype dt)
{
	switch (q) {
	case KF_QUANT_NONE: return kf_dtype_size(dt);
	case KF_QUANT_U8: return 1;
	case KF_QUANT_U16: return 2;
	case KF_QUANT_F16: return 2;
	}
	return 0;
}

static int parse_entry(const cJSON *jw, const char *label, int idx,
		       struct kf_manifest_entry *e, struct kf_err *err)
{
	const cJSON *jname = cJSON_GetObjectItemCaseSensitive(jw, "name");
	const cJSON *jshape = cJSON_GetObjectItemCaseSensitive(jw, "shape");
	const cJSON *jdtype = cJSON_GetObjectItemCaseSensitive(jw, "dtype");
	const cJSON *jq = cJSON_GetObjectItemCaseSensitive(jw, "quantization");
	const cJSON *jd;
	size_t n;
	int d = 0;

	if (!cJSON_IsObject(jw) || !cJSON_IsString(jname))
		return kf_err_set(err, KF_E_FORMAT, "'%s': weight %d has no name", label, idx);
	n = strlen(jname->valuestring);
	if (n == 0 || n >= sizeof(e->name))
		return kf_err_set(err, KF_E_FORMAT, "'%s': weight %d: name empty or longer than %d bytes",
				  label, idx, (int)sizeof(e->name) - 1);
	memcpy(e->name, jname->valuestring, n + 1);

	if (!cJSON_IsString(jdtype))
		return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' has no dtype", label, e->name);
	if (!strcmp(jdtype->valuestring, "float32"))
		e->dtype = KF_F32;
	else if (!strcmp(jdtype->valuestring, "int32"))
		e->dtype = KF_I32;
	else
		return kf_err_set(err, KF_E_UNSUPPORTED, "'%s': tensor '%s': unknown dtype '%.32s'",
				  label, e->name, jdtype->valuestring);

	if (!cJSON_IsArray(jshape))
		return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' has no shape", label, e->name);
	e->n_elements = 1;
	cJSON_ArrayForEach(jd, jshape) {
		double v = cJSON_IsNumber(jd) ? jd->valuedouble : -1;

		if (d >= KF_MAX_DIMS)
			return kf_err_set(err, KF_E_UNSUPPORTED, "'%s': tensor '%s' has more than %d dimensions",
					  label, e->name, KF_MAX_DIMS);
		if (!(v >= 0 && v <= (double)KF_WEIGHTS_MAX_ELEMENTS) || v != floor(v))
			return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s': bad dimension %d",
					  label, e->name, d);
		e->shape[d++] = (int64_t)v;
		/* both factors <= 2^28, so the product cannot overflow int64 */
		e->n_elements *= (int64_t)v;
		if (e->n_elements > KF_WEIGHTS_MAX_ELEMENTS)
			return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s': shape too large",
					  label, e->name);
	}
	e->n_dims = d;

	e->quant = KF_QUANT_NONE;
	if (jq && !cJSON_IsNull(jq)) {
		const cJSON *qd = cJSON_GetObjectItemCaseSensitive(jq, "dtype");
		const cJSON *qs = cJSON_GetObjectItemCaseSensitive(jq, "scale");
		const cJSON *qm = cJSON_GetObjectItemCaseSensitive(jq, "min");

		if (!cJSON_IsObject(jq) || !cJSON_IsString(qd))
			return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s': bad quantization",
					  label, e->name);
		if (!strcmp(qd->valuestring, "uint8"))
			e->quant = KF_QUANT_U8;
		else if (!strcmp(qd->valuestring, "uint16"))
			e->quant = KF_QUANT_U16;
		else if (!strcmp(qd->valuestring, "float16"))
			e->quant = KF_QUANT_F16;
		else
			return kf_err_set(err, KF_E_UNSUPPORTED,
					  "'%s': tensor '%s': unknown quantization dtype '%.32s'",
					  label, e->name, qd->valuestring);
		if (e->quant != KF_QUANT_F16) {
			if (!cJSON_IsNumber(qs) || !cJSON_IsNumber(qm) ||
			    !isfinite(qs->valuedouble) || !isfinite(qm->valuedouble))
				return kf_err_set(err, KF_E_FORMAT,
						  "'%s': tensor '%s': quantization needs scale and min",
						  label, e->name);
			e->scale = qs->valuedouble;
			e->min = qm->valuedouble;
		} else if (e->dtype != KF_F32) {
			return kf_err_set(err, KF_E_UNSUPPORTED,
					  "'%s': tensor '%s': float16 quantization of int32",
					  label, e->name);
		}
	}
	e->n_bytes = (size_t)e->n_elements * quant_size(e->quant, e->dtype);
	return KF_OK;
}

static int parse_paths(const cJSON *jpaths, const char *label, int g,
		       struct kf_manifest_group *grp, struct kf_err *err)
{
	const cJSON *jp;
	int n = cJSON_GetArraySize(jpaths);

	if (!cJSON_IsArray(jpaths) || n < 1 || n > KF_WEIGHTS_MAX_SHARDS)
		return kf_err_set(err, KF_E_FORMAT, "'%s': group %d: 'paths' must list 1..%d files",
				  label, g, KF_WEIGHTS_MAX_SHARDS);
	if (!(grp->paths = kf_calloc((size_t)n, sizeof(*grp->paths))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	cJSON_ArrayForEach(jp, jpaths) {
		const char *s = cJSON_IsString(jp) ? jp->valuestring : NULL;

		if (!s || !*s || strchr(s, '/') || strchr(s, '\\') || strstr(s, "..") ||
		    strlen(s) > 255)
			return kf_err_set(err, KF_E_FORMAT, "'%s': group %d: bad shard path", label, g);
		if (!(grp->paths[grp->n_paths] = kf_strdup(s)))
			return kf_err_set(err, KF_E_NOMEM, "out of memory");
		grp->n_paths++;
	}
	return KF_OK;
}

int kf_weights_parse_manifest(const char *json, size_t len, const char *label,
			      struct kf_manifest *out, struct kf_err *err)
{
	cJSON *root = NULL;
	const cJSON *jg;
	int rc, g = 0, n_total = 0;

	memset(out, 0, sizeof(*out));
	if (len > KF_WEIGHTS_MAX_MANIFEST)
		return kf_err_set(err, KF_E_FORMAT, "'%s': manifest larger than %zu bytes",
				  label, KF_WEIGHTS_MAX_MANIFEST);
	if (!(root = cJSON_ParseWithLength(json, len))) {
		rc = kf_err_set(err, KF_E_FORMAT, "'%s': not valid JSON", label);
		goto out;
	}
	if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) < 1 ||
	    cJSON_GetArraySize(root) > KF_WEIGHTS_MAX_GROUPS) {
		rc = kf_err_set(err, KF_E_FORMAT, "'%s': manifest must be an array of 1..%d groups",
				label, KF_WEIGHTS_MAX_GROUPS);
		goto out;
	}
	cJSON_ArrayForEach(jg, root) {
		const cJSON *jw = cJSON_GetObjectItemCaseSensitive(jg, "weights");

		if (!cJSON_IsArray(jw)) {
			rc = kf_err_set(err, KF_E_FORMAT, "'%s': group %d has no 'weights' array",
					label, g);
			goto out;
		}
		n_total += cJSON_GetArraySize(jw);
		if (n_total > KF_WEIGHTS_MAX_TENSORS) {
			rc = kf_err_set(err, KF_E_FORMAT, "'%s': more than %d tensors", label,
					KF_WEIGHTS_MAX_TENSORS);
			goto out;
		}
		g++;
	}
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
	if (!(out->groups = kf_calloc((size_t)g, sizeof(*out->groups))))
		goto out;
	if (n_total && !(out->entries = kf_calloc((size_t)n_total, sizeof(*out->entries))))
		goto out;
	kf_err_clear(err);

	g = 0;
	cJSON_ArrayForEach(jg, root) {
		struct kf_manifest_group *grp = &out->groups[g];
		const cJSON *jw;
		size_t off = 0;

		out->n_groups = g + 1;
		if ((rc = parse_paths(cJSON_GetObjectItemCaseSensitive(jg, "paths"), label, g,
				      grp, err)) < 0)
			goto out;
		cJSON_ArrayForEach(jw, cJSON_GetObjectItemCaseSensitive(jg, "weights")) {
			struct kf_manifest_entry *e = &out->entries[out->n_entries];

			if ((rc = parse_entry(jw, label, out->n_entries, e, err)) < 0)
				goto out;
			for (int i = 0; i < out->n_entries; i++) {
				if (!strcmp(out->entries[i].name, e->name)) {
					rc = kf_err_set(err, KF_E_FORMAT, "'%s': duplicate tensor '%s'",
							label, e->name);
					goto out;
				}
			}
			if (e->n_bytes > KF_WEIGHTS_MAX_BYTES - off) {
				rc = kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s': group %d larger than %zu bytes",
						label, e->name, g, KF_WEIGHTS_MAX_BYTES);
				goto out;
			}
			e->group = g;
			e->offset = off;
			off += e->n_bytes;
			out->n_entries++;
		}
		grp->n_bytes = off;
		g++;
	}
	rc = KF_OK;
out:
	cJSON_Delete(root);
	if (rc < 0)
		kf_manifest_release(out);
	return rc;
}

/* ---- files --------------------------------------------------------------- */

static char *join_path(const char *dir, const char *file)
{
	size_t a = strlen(dir), b = strlen(file);
	char *p = kf_malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, file, b + 1);
	}
	return p;
}

/* Read up to `max` bytes of `path` into buf (NULL: only *size). Sets *size to
 * the file size. */
static int read_file(const char *path, unsigned char *buf, size_t cap, size_t *size,
		     struct kf_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc = KF_OK;

	if (!f)
		return kf_err_errno(err, errno == ENOENT ? KF_E_NOTFOUND : KF_E_IO,
				    "cannot open '%s'", path);
	if (fstat(fileno(f), &st) < 0) {
		rc = kf_err_errno(err, KF_E_IO, "cannot stat '%s'", path);
		goto out;
	}
	*size = (size_t)st.st_size;
	if (buf && *size <= cap && fread(buf, 1, *size, f) != *size) {
		rc = kf_err_errno(err, KF_E_IO, "cannot read '%s'", path);
		goto out;
	}
out:
	fclose(f);
	return rc;
}

static int sha256_check(const char *path, const char *file, const unsigned char *buf,
			size_t n, const char *first, struct kf_err *err)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char hex[65];

	for (size_t k = 0; k < sizeof(known_shards) / sizeof(known_shards[0]); k++) {
		if (strcmp(known_shards[k].file, file) || !known_shards[k].sha256[0])
			continue;
		if (!EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
			return kf_err_set(err, KF_E_NOMEM, "'%s': cannot compute sha256", path);
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		if (strcmp(hex, known_shards[k].sha256))
			return kf_err_set(err, KF_E_FORMAT,
					  "'%s': sha256 %.16s... differs from the face-api 1.7.15 file "
					  "(tensors from '%s' on)", path, hex, first);
	}
	return KF_OK;
}

/* ---- decoding ------------------------------------------------------------ */

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff;
	float f;

	if (e == 0)
		f = ldexpf((float)m, -24);
	else if (e == 31)
		f = m ? NAN : INFINITY;
	else
		f = ldexpf((float)(m | 0x400), (int)e - 25);
	return sign ? -f : f;
}

static void decode(const struct kf_manifest_entry *e, const unsigned char *src, void *dst)
{
	int64_t n = e->n_elements;

	if (e->quant == KF_QUANT_NONE) {
		memcpy(dst, src, (size_t)n * 4);	/* little-endian host assumed */
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		double q;

		if (e->quant == KF_QUANT_F16) {
			((float *)dst)[i] = half_to_float((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
			continue;
		}
		q = e->quant == KF_QUANT_U8 ? src[i] : (double)(src[2 * i] | src[2 * i + 1] << 8);
		if (e->dtype == KF_F32) {
			((float *)dst)[i] = (float)(q * e->scale + e->min);
		} else {
			double v = floor(q * e->scale + e->min + 0.5);

			((int32_t *)dst)[i] = v >= 2147483647.0 ? INT32_MAX :
					      v <= -2147483648.0 ? INT32_MIN : (int32_t)v;
		}
	}
}

/* ---- load ---------------------------------------------------------------- */

static int load_group(struct kf_weights *w, int g, void *dst_base, size_t *dst_off,
		      unsigned flags, struct kf_err *err)
{
	const struct kf_manifest_group *grp = &w->man.groups[g];
	const struct kf_manifest_entry *first = NULL;
	unsigned char *buf = NULL;
	char *path = NULL;
	size_t have = 0, sizes[KF_WEIGHTS_MAX_SHARDS];
	int rc;

	for (int i = 0; i < w->man.n_entries && !first; i++)
		if (w->man.entries[i].group == g)
			first = &w->man.entries[i];
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
	if (!(buf = kf_malloc(grp->n_bytes ? grp->n_bytes : 1)))
		goto out;
	kf_err_clear(err);
	for (int s = 0; s < grp->n_paths; s++) {
		size_t size = 0, cap = grp->n_bytes - have;

		kf_free(path);
		if (!(path = join_path(w->dir, grp->paths[s]))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = read_file(path, buf + have, cap, &size, err)) < 0) {
			kf_err_context(err, "%s (weights from '%s' on)", w->path,
				       first ? first->name : "-");
			goto out;
		}
		if (size > cap) {
			rc = kf_err_set(err, KF_E_FORMAT, "'%s': %zu bytes, more than the %zu the manifest '%s' needs",
					path, have + size, grp->n_bytes, w->path);
			goto out;
		}
		sizes[s] = size;
		have += size;
	}
	if (have < grp->n_bytes) {
		const struct kf_manifest_entry *e = first;

		for (int i = 0; i < w->man.n_entries; i++) {
			e = &w->man.entries[i];
			if (e->group == g && e->offset + e->n_bytes > have)
				break;
		}
		rc = kf_err_set(err, KF_E_FORMAT,
				"'%s': truncated: %zu bytes, manifest needs %zu; tensor '%s' "
				"(offset %zu, %zu bytes) is incomplete",
				path ? path : w->path, have, grp->n_bytes, e ? e->name : "-",
				e ? e->offset : 0, e ? e->n_bytes : 0);
		goto out;
	}
	/* sizes first, so a truncated file names its tensor; then the checksums */
	have = 0;
	for (int s = 0; s < grp->n_paths && !(flags & KF_WEIGHTS_NO_SHA256); s++) {
		kf_free(path);
		if (!(path = join_path(w->dir, grp->paths[s]))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = sha256_check(path, grp->paths[s], buf + have, sizes[s],
				       first ? first->name : "-", err)) < 0)
			goto out;
		have += sizes[s];
	}
	for (int i = 0; i < w->man.n_entries; i++) {
		const struct kf_manifest_entry *e = &w->man.entries[i];
		struct kf_tensor *t = &w->tensors[i];
		int64_t ne[KF_MAX_DIMS] = { 1, 1, 1, 1 };

		if (e->group != g)
			continue;
		for (int d = 0; d < e->n_dims; d++)
			ne[d] = e->shape[e->n_dims - 1 - d];
		kf_tensor_init(t, e->dtype, ne[0], ne[1], ne[2], ne[3],
			       (unsigned char *)dst_base + *dst_off);
		kf_tensor_set_name(t, e->name);
		decode(e, buf + e->offset, t->data);
		*dst_off += (size_t)e->n_elements * 4;
	}
	rc = KF_OK;
out:
	kf_free(path);
	kf_free(buf);
	return rc;
}

void kf_weights_free(struct kf_weights *w)
{
	if (!w)
		return;
	kf_manifest_release(&w->man);
	kf_free(w->tensors);
	kf_free(w->data);
	kf_free(w->path);
	kf_free(w->dir);
	kf_free(w);
}

int kf_weights_load(struct kf_weights **out, const char *model_dir, const char *model,
		    unsigned flags, struct kf_err *err)
{
	struct kf_weights *w = NULL;
	char *json = NULL, *name = NULL;
	size_t len = 0, total = 0, off = 0;
	int rc = KF_E_NOMEM;

	*out = NULL;
	if (!(w = kf_calloc(1, sizeof(*w))) || !(w->dir = kf_strdup(model_dir)) ||
	    !(name = kf_malloc(strlen(model) + sizeof("-weights_manifest.json"))))
		goto nomem;
	strcpy(name, model);
	strcat(name, "-weights_manifest.json");
	if (!(w->path = join_path(model_dir, name)))
		goto nomem;
	if ((rc = read_file(w->path, NULL, 0, &len, err)) < 0)
		goto out;
	if (len > KF_WEIGHTS_MAX_MANIFEST) {
		rc = kf_err_set(err, KF_E_FORMAT, "'%s': manifest larger than %zu bytes", w->path,
				KF_WEIGHTS_MAX_MANIFEST);
		goto out;
	}
	if (!(json = kf_malloc(len + 1)))
		goto nomem;
	if ((rc = read_file(w->path, (unsigned char *)json, len, &len, err)) < 0)
		goto out;
	if ((rc = kf_weights_parse_manifest(json, len, w->path, &w->man, err)) < 0)
		goto out;
	for (int i = 0; i < w->man.n_entries; i++)
		total += (size_t)w->man.entries[i].n_elements * 4;
	if (!(w->tensors = kf_calloc((size_t)w->man.n_entries + 1, sizeof(*w->tensors))) ||
	    !(w->data = kf_aligned_alloc(64, total ? total : 64)))
		goto nomem;
	for (int g = 0; g < w->man.n_groups; g++)
		if ((rc = load_group(w, g, w->data, &off, flags, err)) < 0)
			goto out;
	*out = w;
	w = NULL;
	rc = KF_OK;
	goto out;
nomem:
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory loading '%s'", model);
out:
	kf_free(json);
	kf_free(name);
	kf_weights_free(w);
	return rc;
}

/* ---- lookup -------------------------------------------------------------- */

const char *kf_weights_path(const struct kf_weights *w)
{
	return w->path;
}

int kf_weights_count(const struct kf_weights *w)
{
	return w->man.n_entries;
}

const struct kf_tensor *kf_weights_at(const struct kf_weights *w, int i)
{
	return i >= 0 && i < w->man.n_entries ? &w->tensors[i] : NULL;
}

static int find_index(const struct kf_weights *w, const char *name)
{
	for (int i = 0; i < w->man.n_entries; i++)
		if (!strcmp(w->man.entries[i].name, name))
			return i;
	return -1;
}

const struct kf_tensor *kf_weights_find(const struct kf_weights *w, const char *name)
{
	int i = find_index(w, name);

	return i < 0 ? NULL : &w->tensors[i];
}

static void shape_str(char *buf, size_t cap, int n, const int64_t *s64, const int *s32)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, cap - o, "[");
	for (int d = 0; d < n && o < cap; d++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%lld", d ? "," : "",
				      s64 ? (long long)s64[d] : (long long)s32[d]);
	if (o < cap)
		snprintf(buf + o, cap - o, "]");
}

const struct kf_tensor *kf_weights_get(const struct kf_weights *w, const char *name,
				       int n_dims, const int *shape, struct kf_err *err)
{
	int i = find_index(w, name);
	const struct kf_manifest_entry *e;
	bool same;

	if (i < 0) {
		kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' is missing", w->path, name);
		return NULL;
	}
	e = &w->man.entries[i];
	same = e->n_dims == n_dims && e->dtype == KF_F32;
	for (int d = 0; same && d < n_dims; d++)
		same = e->shape[d] == shape[d];
	if (!same) {
		char have[80], want[80];

		shape_str(have, sizeof(have), e->n_dims, e->shape, NULL);
		shape_str(want, sizeof(want), n_dims, NULL, shape);
		kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' is %s %s, expected float32 %s",
			   w->path, name, e->dtype == KF_F32 ? "float32" : "int32", have, want);
		return NULL;
	}
	return &w->tensors[i];
}

const float *kf_weights_f32(const struct kf_weights *w, const char *name, int n_dims,
			    const int *shape, struct kf_err *err)
{
	const struct kf_tensor *t = kf_weights_get(w, name, n_dims, shape, err);

	return t ? t->data : NULL;
}
