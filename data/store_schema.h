/* store_schema.h: the ordered schema migrations (internal to data/store*.c). */
#ifndef KF_STORE_SCHEMA_H
#define KF_STORE_SCHEMA_H

/* Number of migrations, i.e. the schema version after all are applied. */
int kf_store_schema_count(void);

/* SQL of the migration that brings the schema to `version` (1-based), or NULL. */
const char *kf_store_schema_migration(int version);

#endif
