/* pg_gallery.c: a platform gallery's references and clients (pg_gallery.h). */
#include "data/pg_gallery.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/engine.h"

void kf_pg_desc_hex(const float *desc, char out[KF_PG_DESC_HEX])
{
	static const char digits[] = "0123456789abcdef";
	char *o = out;

	*o++ = '\\';
	*o++ = 'x';
	for (int i = 0; i < KF_DESC_DIM; i++) {
		uint32_t u;

		memcpy(&u, &desc[i], sizeof(u));
		for (int b = 0; b < 4; b++, u >>= 8) {	/* little-endian on any host */
			*o++ = digits[(u >> 4) & 0xf];
			*o++ = digits[u & 0xf];
		}
	}
	*o = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kf_pg_desc_parse(const char *hex, float *desc, struct kf_err *err)
{
	if (strlen(hex) != 8 * KF_DESC_DIM)
		return kf_err_set(err, KF_E_FORMAT, "a descriptor has %zu bytes, not %d",
				  strlen(hex) / 2, 4 * KF_DESC_DIM);
	for (int i = 0; i < KF_DESC_DIM; i++) {
		uint32_t u = 0;

		for (int b = 0; b < 4; b++) {
			int hi = hexval(hex[8 * i + 2 * b]), lo = hexval(hex[8 * i + 2 * b + 1]);

			if (hi < 0 || lo < 0)
				return kf_err_set(err, KF_E_FORMAT, "a descriptor is not hex");
			u |= (uint32_t)(hi << 4 | lo) << (8 * b);
		}
		memcpy(&desc[i], &u, sizeof(u));
	}
	return KF_OK;
}

int kf_pg_gallery_version(struct kf_pg *pg, int64_t gallery_id, char *buf, size_t n,
			  struct kf_err *err)
{
	char gbuf[24];
	const char *p[1] = { kf_pg_i64(gbuf, gallery_id) };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) FROM "
			     "rekognition_client_faces WHERE gallery_id = $1) || '/' || "
			     "(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || "
			     "coalesce(md5(string_agg(name, E'\\n' ORDER BY id)), '') FROM "
			     "king_gallery_clients WHERE gallery_id = $1)", 1, p, &res,
			     "read the gallery's references", err)) < 0)
		return rc;
	snprintf(buf, n, "%s", kf_pg_str(res, 0, 0) ? kf_pg_str(res, 0, 0) : "");
	PQclear(res);
	return KF_OK;
}

int kf_pg_gallery_load(struct kf_pg *pg, int64_t gallery_id, struct kf_match_gallery *g,
		       struct kf_err *err)
{
	char gbuf[24];
	const char *p[2] = { kf_pg_i64(gbuf, gallery_id), KF_ENGINE_MODEL };
	float desc[KF_DESC_DIM];
	PGresult *res = NULL;
	int rc, n;

	memset(g, 0, sizeof(*g));
	g->id = gallery_id;
	kf_search_init(&g->search);
	if ((rc = kf_pg_exec(pg, "SELECT client_id, encode(descriptor, 'hex'), engine = 'local' "
			     "AND model = $2 FROM rekognition_client_faces WHERE gallery_id = $1 "
			     "ORDER BY id", 2, p, &res, "read the gallery's references", err)) < 0)
		goto fail;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *hex = kf_pg_str(res, i, 1), *ours = kf_pg_str(res, i, 2);

		if (!hex || !ours || *ours != 't' || kf_pg_desc_parse(hex, desc, NULL) < 0) {
			g->other_model++;
			continue;
		}
		if ((rc = kf_search_add(&g->search, kf_pg_int(res, i, 0), desc, err)) < 0)
			goto fail;
		g->references++;
	}
	PQclear(res);
	if ((rc = kf_pg_exec(pg, "SELECT id, name FROM king_gallery_clients WHERE gallery_id = $1 "
			     "ORDER BY id", 1, p, &res, "read the gallery's clients", err)) < 0)
		goto fail;
	n = PQntuples(res);
	if (n && (!(g->client_ids = kf_calloc((size_t)n, sizeof(int64_t))) ||
		  !(g->client_names = kf_calloc((size_t)n, sizeof(char *))))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory loading clients");
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		const char *name = kf_pg_str(res, i, 1);

		g->client_ids[i] = kf_pg_int(res, i, 0);
		g->nclients = (size_t)i + 1;
		if (!(g->client_names[i] = kf_strdup(name ? name : "?"))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory loading clients");
			goto fail;
		}
	}
	PQclear(res);
	return KF_OK;
fail:
	PQclear(res);
	kf_match_gallery_release(g);
	return rc;
}
