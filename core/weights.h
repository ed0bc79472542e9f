/* weights.h: load face-api (tfjs) weight files into read-only tensors.
 *
 * FILE FORMAT (tfjs "weights manifest", as shipped in face-api's model/ folder;
 * tests/data/reference/models.md lists every tensor of the four models we use)
 *
 *   <model>-weights_manifest.json   a JSON array of groups:
 *     [ { "paths":   ["<model>.bin", ...],          shard files, same folder
 *         "weights": [ { "name":  "conv0/filters",
 *                        "shape": [3,3,3,16],        row-major, last fastest
 *                        "dtype": "float32" | "int32",   dtype after decoding
 *                        "quantization": {           optional
 *                            "dtype": "uint8" | "uint16" | "float16",
 *                            "scale": <double>, "min": <double> } }, ... ] }, ... ]
 *   <model>.bin                     the group's shards, concatenated, hold the
 *                                   tensors back to back in manifest order with
 *                                   no padding or alignment, little-endian.
 *
 *   Stored bytes per tensor = product(shape) * size(quantization.dtype if
 *   present, else dtype); a group's shards must add up to exactly the sum.
 *   Decoding (tfjs io_utils.decodeWeights, done once at load):
 *     unquantized float32 / int32   copied
 *     uint8 / uint16 -> float32     (float)((double)q * scale + min)
 *     uint8 / uint16 -> int32       Math.round(q * scale + min) = floor(x + 0.5)
 *     float16 -> float32            IEEE half to float
 *   A tensor of shape [a,b,c,d] becomes a struct kf_tensor with
 *   ne = {d,c,b,a} (tensor.h); rank <= 4; a scalar (shape []) has ne = {1,1,1,1}.
 *
 * VALIDATION (as ggml's gguf.cpp): bounded counts (KF_WEIGHTS_MAX_*), names
 * non-empty, shorter than KF_TENSOR_NAME_SIZE and unique, dimensions >= 0,
 * the element count checked for overflow before multiplying, known dtypes
 * only, shard paths plain file names (no '/', no ".."), every shard present
 * with exactly the bytes the manifest needs and, for the shards of the models
 * kingface uses, the sha256 recorded in models.md. Every error message names
 * the file and, where there is one, the tensor.
 *
 * OWNERSHIP AND THREADS: a struct kf_weights owns its manifest and decoded data;
 * once loaded it is never written again, so any number of threads may read it
 * and its tensors at the same time. kf_weights_free() ends it (NULL is fine).
 */
#ifndef KF_WEIGHTS_H
#define KF_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/tensor.h"

#define KF_WEIGHTS_MAX_GROUPS 64
#define KF_WEIGHTS_MAX_SHARDS 256		/* per group */
#define KF_WEIGHTS_MAX_TENSORS 4096		/* per manifest */
#define KF_WEIGHTS_MAX_ELEMENTS (1LL << 28)	/* per tensor */
#define KF_WEIGHTS_MAX_BYTES ((size_t)1 << 30)	/* per group */
#define KF_WEIGHTS_MAX_MANIFEST ((size_t)16 << 20)

enum kf_weight_quant {
	KF_QUANT_NONE = 0,
	KF_QUANT_U8,
	KF_QUANT_U16,
	KF_QUANT_F16,
};

/* One tensor as the manifest describes it. */
struct kf_manifest_entry {
	char name[KF_TENSOR_NAME_SIZE];
	enum kf_dtype dtype;		/* KF_F32 or KF_I32, after decoding */
	enum kf_weight_quant quant;
	double scale, min;		/* KF_QUANT_U8 / KF_QUANT_U16 only */
	int n_dims;			/* 0..4 */
	int64_t shape[KF_MAX_DIMS];	/* as in the manifest, row-major */
	int64_t n_elements;
	int group;			/* index into kf_manifest.groups */
	size_t offset;			/* into the group's concatenated shards */
	size_t n_bytes;			/* stored bytes */
};

struct kf_manifest_group {
	int n_paths;
	char **paths;			/* shard file names, relative to the manifest */
	size_t n_bytes;			/* sum of the group's stored tensor bytes */
};

struct kf_manifest {
	int n_groups;
	struct kf_manifest_group *groups;
	int n_entries;
	struct kf_manifest_entry *entries;	/* in manifest (= storage) order */
};

/* Parse and validate a manifest from memory (need not be NUL-terminated).
 * `label` names the source in messages (e.g. the file path). On success *out
 * is filled and owned by the caller (kf_manifest_release); on error returns
 * < 0, fills err and leaves *out empty. Thread-safe. */
int kf_weights_parse_manifest(const char *json, size_t len, const char *label,
			      struct kf_manifest *out, struct kf_err *err);
void kf_manifest_release(struct kf_manifest *m);

struct kf_weights;

enum kf_weights_flags {
	KF_WEIGHTS_NO_SHA256 = 1 << 0,	/* skip the known-shard sha256 check */
};

/* Load <model_dir>/<model>-weights_manifest.json and its shards, e.g.
 * model = "tiny_face_detector_model". On success *out is owned by the caller
 * (kf_weights_free). On error returns < 0 (KF_E_NOTFOUND missing file,
 * KF_E_IO read error, KF_E_FORMAT bad manifest/size/checksum, KF_E_UNSUPPORTED
 * unknown dtype, KF_E_NOMEM), fills err with the file and tensor, *out = NULL. */
int kf_weights_load(struct kf_weights **out, const char *model_dir, const char *model,
		    unsigned flags, struct kf_err *err);
void kf_weights_free(struct kf_weights *w);

/* The manifest path, for messages. */
const char *kf_weights_path(const struct kf_weights *w);
/* Number of tensors, and the i-th in manifest order (0 <= i < count). */
int kf_weights_count(const struct kf_weights *w);
const struct kf_tensor *kf_weights_at(const struct kf_weights *w, int i);
/* By name, or NULL. No error is recorded. */
const struct kf_tensor *kf_weights_find(const struct kf_weights *w, const char *name);

/* By name, checking the manifest shape (row-major, n_dims entries) and that
 * the dtype is float32. NULL with an error naming file, tensor and both shapes
 * when it is missing or different. Example:
 *     const struct kf_tensor *f = kf_weights_get(w, "conv0/filters", 4,
 *                                                (const int[]){3, 3, 3, 16}, err); */
const struct kf_tensor *kf_weights_get(const struct kf_weights *w, const char *name,
				       int n_dims, const int *shape, struct kf_err *err);
/* As kf_weights_get, returning the float data. */
const float *kf_weights_f32(const struct kf_weights *w, const char *name, int n_dims,
			    const int *shape, struct kf_err *err);

#endif
