/* commands.c: the command table. The CLI help and the console's actions come
 * from these rows; keep the summaries short and the help complete. */
#include "src/cli_engine.h"

#include <stddef.h>

static const struct kf_opt import_opts[] = {
	{ "name", "NAME", "gallery name (default: the folder's name, or the prefix's)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt pull_opts[] = {
	{ "pg", "URL", "the platform's PostgreSQL (default $KINGFACE_PG_URL)" },
	{ "photos", "DIR", "local copies of the photos, named by their R2 key" },
	{ "bucket", "NAME", "the bucket of the photos not in DIR (default $KINGFACE_BUCKET)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt sync_opts[] = {
	{ "pg", "URL", "the platform's PostgreSQL (default $KINGFACE_PG_URL)" },
	{ "gallery", "GALLERY", "only this pulled gallery" },
	{ "status", NULL, "show what waits to be pushed and the last sync; no network" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt yes_opts[] = {
	{ "yes", NULL, "do not ask for confirmation" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt remove_opts[] = {
	{ "yes", NULL, "do not ask for confirmation" },
	{ "force", NULL, "remove here even when Rekognition's copy cannot be deleted" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt force_opts[] = {
	{ "force", NULL, "remove here even when Rekognition's copy cannot be deleted" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt client_add_opts[] = {
	{ "external-id", "ID", "the client's id on the studio platform" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt photo_list_opts[] = {
	{ "status", "S", "only photos in state S: pending, running, done, failed or dead, "
	  "or missing (gone from the folder)" },
	{ "page", "P", "page number, from 1 (default 1)" },
	{ "limit", "L", "photos per page, 1 to 500 (default 50)" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt detect_opts[] = {
	KF_DETECT_OPT_ROWS,
	{ "landmarks", NULL, "add each face's 68 landmarks (pixels)" },
	{ "descriptors", NULL, "add each face's 128-D descriptor (implies --landmarks)" },
	KF_FROM_OPT_ROW,
	{ NULL, NULL, NULL },
};

static const struct kf_opt enroll_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "face", "N", "which face, 0-based, in the order 'kingface detect' prints" },
	{ "force", NULL, "accept a small (< 80 px) or uncertain (score < 0.8) face" },
	{ "photo", "PHOTO", "enroll a face already detected in this gallery photo "
	  "(with --face N)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt client_import_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "force", NULL, "accept a small (< 80 px) or uncertain (score < 0.8) face" },
	{ "dry-run", NULL, "say which clients would be added and which photos enrolled; "
	  "change nothing" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt identify_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "threshold", "T|auto", "similarity 0-100 to match, or auto (default: the setting, auto)" },
	{ "any-size", NULL, "describe and search faces too small to recognise too (for "
	  "measuring that size: bench/small-faces)" },
	KF_FROM_OPT_ROW,
	{ NULL, NULL, NULL },
};

static const struct kf_opt match_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "threshold", "T|auto", "similarity 0-100 to match, or auto (default: the setting, auto)" },
	{ "no-cache", NULL, "process the photo even when a cached result is valid" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt threshold_opts[] = {
	{ "threshold", "T|auto", "similarity 0-100 to match, or auto (default: the setting, auto)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt people_assign_opts[] = {
	{ "create", NULL, "add the client if it does not exist" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt export_opts[] = {
	{ "to", "DIR", "the folder to fill (created if missing); required" },
	{ "client", "CLIENT", "only this client (id or exact name)" },
	{ "copy", NULL, "copy the photos instead of hard-linking them" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt results_opts[] = {
	{ "client", "CLIENT", "the client (id or exact name); required" },
	{ "page", "P", "page number, from 1 (default 1)" },
	{ "limit", "L", "photos per page, 1 to 500 (default 50)" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt people_opts[] = {
	{ "min-faces", "N", "smallest cluster listed, 1 to 1000 (default 2); smaller ones "
	  "are counted as unclustered" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt process_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "threshold", "T|auto", "similarity 0-100 to match, or auto (default: the setting, auto)" },
	{ "concurrency", "N", "worker threads (default $WORKER_CONCURRENCY, else one per core)" },
	{ "all", NULL, "re-queue the photos already done too (answered from the cache)" },
	{ "no-cache", NULL, "process photos even when a cached result is valid" },
	{ "yes", NULL, "do not ask before making paid Rekognition calls" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt worker_opts[] = {
	KF_DETECT_OPT_ROWS,
	KF_ENGINE_OPT_ROW,
	{ "threshold", "T|auto", "similarity 0-100 to match, or auto (default: the setting, auto)" },
	{ "concurrency", "N", "worker threads (default $WORKER_CONCURRENCY, else one per core)" },
	{ "gallery", "GALLERY", "only this gallery's jobs (with --pg: a platform gallery id)" },
	{ "exit-when-empty", NULL, "end when no job is pending, running or waiting to retry" },
	{ "no-cache", NULL, "process photos even when a cached result is valid" },
	{ "pg", "URL", "take jobs from the platform's PostgreSQL (- : KINGFACE_PG_URL)" },
	{ "photos", "DIR", "with --pg: read photos as DIR/<r2_key> when the file is there" },
	{ "bucket", "NAME", "with --pg: the bucket of the other photos (default $KINGFACE_BUCKET)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt queue_opts[] = {
	{ "all", NULL, "queue the photos already done too" },
	{ "pg", "URL", "queue on the platform's PostgreSQL (- : KINGFACE_PG_URL)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt jobs_opts[] = {
	{ "state", "S", "only jobs in state S: pending, running, done, failed or dead" },
	{ "pg", "URL", "the platform's jobs on PostgreSQL (- : KINGFACE_PG_URL)" },
	{ NULL, NULL, NULL },
};
static const struct kf_opt requeue_opts[] = {
	{ "dead", NULL, "dead jobs (the default)" },
	{ "failed", NULL, "failed jobs waiting for their retry" },
	{ "all", NULL, "dead and failed jobs" },
	{ "pg", "URL", "on the platform's PostgreSQL; GALLERY is a platform id (- : KINGFACE_PG_URL)" },
	{ NULL, NULL, NULL },
};

static const struct kf_opt console_opts[] = {
	{ "readonly", NULL, "browse only: every change is refused" },
	{ "headless", NULL, "run without a terminal (tests): keys from stdin, ends with it" },
	{ NULL, NULL, NULL },
};

const struct kf_command kf_commands[] = {
	{ "gallery import", "DIR|s3://URL", "import a folder or a bucket prefix as a gallery",
	  "Scans DIR recursively for .jpg, .jpeg and .png files (any case); each photo's\n"
	  "key is its path relative to DIR. Importing the same folder again under the\n"
	  "same name is incremental: unchanged files are skipped, changed files get\n"
	  "their new ETag (MD5 of the bytes) and are processed again, removed files are\n"
	  "reported and marked missing. A file named like a photo that is not a JPEG or\n"
	  "PNG is imported as a failed photo with the reason.\n\n"
	  "s3://BUCKET/PREFIX imports the photos under PREFIX of an S3-compatible bucket\n"
	  "(Cloudflare R2): each key with its ETag from the listing, nothing downloaded\n"
	  "until processing (then once, into the photo cache, so later runs work\n"
	  "offline). Again, a new ETag means changed and a key gone means missing. Needs\n"
	  "AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in\n"
	  "the environment or in ~/.config/kingface/config (mode 600).\n\n"
	  "GALLERY arguments of the other commands accept the gallery's id or its exact\n"
	  "name.",
	  1, 1, import_opts, kf_cmd_gallery_import },
	{ "gallery pull", "GALLERY_ID", "make a local gallery of a platform gallery (connected mode)",
	  "Reads the platform gallery GALLERY_ID (king_galleries.id) from PostgreSQL: its\n"
	  "clients, its photos (by R2 key) and the references other machines enrolled,\n"
	  "into a local gallery that can then be processed offline. Each photo is read\n"
	  "from DIR/<key> when --photos DIR holds it (for example copied from the camera\n"
	  "card), otherwise downloaded from the bucket when it is processed (then kept in\n"
	  "the photo cache). When every photo is in DIR, no S3 setting is needed at all.\n"
	  "Pulling again refreshes the gallery: the platform's names win, photos and\n"
	  "clients gone from the platform are marked missing / removed.\n\n"
	  "The URL comes from --pg or KINGFACE_PG_URL (environment or the mode 600\n"
	  "config file); it is never printed. 'kingface sync' keeps the gallery in step.",
	  1, 1, pull_opts, kf_cmd_gallery_pull },
	{ "gallery list", "", "list galleries with their counts", NULL, 0, 0, NULL,
	  kf_cmd_gallery_list },
	{ "gallery show", "GALLERY", "show one gallery", NULL, 1, 1, NULL, kf_cmd_gallery_show },
	{ "gallery rename", "GALLERY NEW_NAME", "rename a gallery",
	  "Its photos, clients and results stay; importing its folder again without\n"
	  "--name finds it under its new name.", 2, 2, NULL, kf_cmd_gallery_rename },
	{ "gallery remove", "GALLERY", "remove a gallery and everything stored for it",
	  "Removes the gallery's clients, enrolled faces, photos, detected faces, matches,\n"
	  "jobs and cached results from the database (photo files are not touched).\n"
	  "Asks for confirmation on a terminal; elsewhere --yes is required. A Rekognition\n"
	  "gallery's collection is deleted first; when that fails nothing is removed\n"
	  "unless --force (docs/engines.md).",
	  1, 1, remove_opts, kf_cmd_gallery_remove },
	{ "gallery engine", "GALLERY [local|rekognition]", "show or switch a gallery's match engine",
	  "The engine (local or rekognition, docs/engines.md) that processes the gallery's\n"
	  "photos. Results of two engines never mix: switching drops the stored faces,\n"
	  "matches and cached results and puts every photo back to pending, saying how\n"
	  "many will be processed again (asks on a terminal; elsewhere --yes is\n"
	  "required). References are kept: each engine uses only its own, so clients\n"
	  "are enrolled once per engine.",
	  1, 2, yes_opts, kf_cmd_gallery_engine },
	{ "gallery detector", "GALLERY [yunet|ssd|tiny]", "show or switch a gallery's face detector",
	  "The face detector (yunet, ssd or tiny, docs/engines.md) of the gallery's local\n"
	  "results: process, match, worker and the console use it when --detector is not\n"
	  "given, and refuse a --detector naming another one while results are stored.\n"
	  "A gallery without results takes the detector in force (yunet by default).\n"
	  "Results of two detectors never mix: switching drops the stored faces, matches\n"
	  "and cached results and puts every photo back to pending, saying how many will\n"
	  "be processed again (asks on a terminal; elsewhere --yes is required; refused\n"
	  "while a photo is being processed). References are kept.",
	  1, 2, yes_opts, kf_cmd_gallery_detector },
	{ "client add", "GALLERY NAME", "add a client (a person to recognise) to a gallery",
	  NULL, 2, 2, client_add_opts, kf_cmd_client_add },
	{ "client list", "GALLERY", "list a gallery's clients", NULL, 1, 1, NULL,
	  kf_cmd_client_list },
	{ "client rename", "GALLERY CLIENT NEW_NAME", "rename a client", NULL, 3, 3, NULL,
	  kf_cmd_client_rename },
	{ "client remove", "GALLERY CLIENT", "remove a client and its biometric data",
	  "Removes the client, its enrolled reference faces (its biometric data) and\n"
	  "its matches, and says what was removed. CLIENT is an id or an exact name.\n"
	  "Asks for confirmation on a terminal; elsewhere --yes is required. Its faces in\n"
	  "a Rekognition collection are deleted first; when that fails nothing is removed\n"
	  "unless --force.",
	  2, 2, remove_opts, kf_cmd_client_remove },
	{ "client faces", "GALLERY CLIENT", "list a client's enrolled reference faces", NULL,
	  2, 2, NULL, kf_cmd_client_faces },
	{ "client unenroll", "GALLERY CLIENT REF", "remove one reference face of a client",
	  "A Rekognition reference is deleted from the collection first; when that fails\n"
	  "it is kept unless --force.",
	  3, 3, force_opts, kf_cmd_client_unenroll },
	{ "client import", "GALLERY DIR", "add clients and enroll their reference photos from a "
	  "folder",
	  "DIR holds a folder of photos for each client, named as the client (DIR/Ana\n"
	  "Souza/1.jpg), or a photo named as the client (DIR/Ana Souza.jpg, and\n"
	  "DIR/Ana Souza (2).jpg), or both. A client the gallery lacks is added; one\n"
	  "it has (by name, case, accents and spacing aside: 'ana_souza' is Ana\n"
	  "Souza) gets the photos as more references. Hidden files,\n"
	  "links to folders and folders below the subfolders are not read. Photos\n"
	  "already enrolled for their client (the same bytes) are left as they are, so\n"
	  "the same folder can be imported again after adding photos. Each photo is\n"
	  "enrolled as by 'kingface enroll': exactly one face, at least 80 px and\n"
	  "score 0.8 unless --force; one that fails is said and the others are\n"
	  "enrolled (exit status 1). Then the gallery's stored faces are matched\n"
	  "again, once. An import stopped part-way (Ctrl-C) is finished by running it\n"
	  "again. --dry-run says what an import would do, without detecting faces:\n"
	  "the clients it would add or find, the photos it would try or skip.",
	  2, 2, client_import_opts, kf_cmd_client_import },
	{ "enroll", "GALLERY CLIENT IMAGE...", "enroll reference faces of a client",
	  "Each image must show exactly one face, or --face N picks one (a list of the\n"
	  "faces is printed otherwise: never a silent pick); an image that fails is\n"
	  "said and the others are enrolled. Tight crops and ID-style portraits, whose\n"
	  "face fills the frame, are searched again on a padded canvas. Faces under\n"
	  "80 px or scoring under 0.8 are refused unless --force. A client may have\n"
	  "several references: a face's distance to the client is the mean over them\n"
	  "(Rekognition: the best one), so a wrong reference lowers every match\n"
	  "('kingface client unenroll' removes it). With --photo PHOTO --face N (and no\n"
	  "IMAGE) the face comes from a processed gallery photo. The gallery's stored\n"
	  "faces are then matched again (as 'kingface rematch'; with Rekognition, when\n"
	  "its photos are processed again).",
	  2, -1, enroll_opts, kf_cmd_enroll },
	{ "identify", "GALLERY IMAGE...", "who is in these images? (no result is stored)",
	  "For images outside the gallery (a photo a client sends, one support staff are\n"
	  "asked about): every face with its box, the gallery's clients at or above the\n"
	  "threshold with their similarity (0-100), and the best client below it.\n"
	  "Nothing about the images is stored; with Rekognition the calls made are\n"
	  "added to the gallery's count.\n\n"
	  "Any number of images: with --from FILE the paths in FILE (- : standard\n"
	  "input), one a line, come after those on the command line, e.g.\n"
	  "find shoot/ -name '*.jpg' | kingface identify GALLERY --from -",
	  2, -1, identify_opts, kf_cmd_identify },
	{ "match", "GALLERY PHOTO", "find the faces of one photo and who they are (step 1)",
	  "Served from the processing cache when a valid entry exists for the photo's\n"
	  "current ETag, threshold and max faces (\"cached\": true); otherwise the photo\n"
	  "is decoded, its faces detected and described, searched against the gallery's\n"
	  "enrolled clients, and its faces, matches, cache entry and job state stored in\n"
	  "one transaction (re-processing replaces, never duplicates). A photo that\n"
	  "cannot be read fails its job with the reason and the exit status is 1.",
	  2, 2, match_opts, kf_cmd_match },
	{ "rematch", "GALLERY", "re-search every stored face against the current enrollment",
	  "Recomputes every face_matches row of the gallery from the stored descriptors:\n"
	  "no photo is decoded. Run it after enrolling or removing reference faces.",
	  1, 1, threshold_opts, kf_cmd_rematch },
	{ "process", "GALLERY", "process a whole gallery with a pool of workers (steps 3, 4)",
	  "Queues every photo not yet done (new and changed ones), then runs the worker\n"
	  "pool until every job is done or dead, waiting out the backoff of failed ones\n"
	  "(2 s doubling to 60 s, +-20%; dead after max-attempts, see settings). Shows\n"
	  "Processing... X/Y with the rate and ETA; Ctrl-C stops cleanly (in-flight\n"
	  "photos finish, the rest stays queued) and a later run resumes, also after a\n"
	  "crash or kill -9. Exit status 0 when the gallery is finished (dead photos\n"
	  "included: see 'kingface jobs --state dead'), 1 when the run itself fails.",
	  1, 1, process_opts, kf_cmd_process },
	{ "worker", "", "a long-running worker for every queued job",
	  "Claims queued jobs of every gallery (or --gallery) from the database until\n"
	  "SIGINT or SIGTERM, which let in-flight photos finish. Several workers, in\n"
	  "one or more processes, share the jobs: each is done once.\n"
	  "With --pg URL the jobs are the platform's (rekognition_photo_jobs, see\n"
	  "'kingface queue --pg'), shared by workers on any number of machines: each\n"
	  "photo is read from --photos DIR/<r2_key> (else the bucket), matched against\n"
	  "the gallery's rekognition_client_faces and stored in PostgreSQL; one line\n"
	  "per photo (done/failed/dead, or JSON with --json). A job whose worker died\n"
	  "is taken again when its lease expires (60 s; KINGFACE_LEASE_MS). Only --pg\n"
	  "selects PostgreSQL: KINGFACE_PG_URL (environment or config file) is used\n"
	  "with --pg -, which keeps the password out of the process list. The local\n"
	  "database is optional there: its settings apply when it exists.",
	  0, 0, worker_opts, kf_cmd_worker },
	{ "queue", "GALLERY", "queue the gallery's photos that are not done",
	  "With --pg URL (or --pg - for KINGFACE_PG_URL), GALLERY is a platform gallery\n"
	  "id: its king_photos get pending jobs in rekognition_photo_jobs for\n"
	  "'kingface worker --pg'; failed and dead jobs keep their state. Prints the\n"
	  "number of pending jobs.",
	  1, 1, queue_opts, kf_cmd_queue },
	{ "jobs", "GALLERY", "list the gallery's jobs with attempts and last error",
	  "With --pg URL (or --pg - for KINGFACE_PG_URL), GALLERY is a platform gallery\n"
	  "id and the jobs are its rekognition_photo_jobs, listed by r2_key.",
	  1, 1, jobs_opts, kf_cmd_jobs },
	{ "requeue", "GALLERY", "put dead (or failed) jobs back to pending", NULL, 1, 1,
	  requeue_opts, kf_cmd_requeue },
	{ "sync", "", "pull pulled galleries from the platform and push local work to it",
	  "For each pulled gallery (or --gallery): pulls new and changed clients, photos\n"
	  "and references, then pushes what changed here since the last sync, in order:\n"
	  "enrollments, and each processed photo's faces, matches, job state and cached\n"
	  "result, into the platform's rekognition_* tables. Every local change is kept\n"
	  "in an outbox until the server has it, so working offline loses nothing and a\n"
	  "sync cut half-way is finished by the next one, with no row doubled.\n"
	  "A photo processed more recently on the platform keeps the platform's results;\n"
	  "one a platform worker is processing right now is pushed at the next sync\n"
	  "(docs/sync.md).\n\n"
	  "--status shows, without connecting, the changes waiting, the last successful\n"
	  "sync and the last error.",
	  0, 0, sync_opts, kf_cmd_sync },
	{ "status", "GALLERY", "photos pending / running / done / failed / dead, faces, matches",
	  NULL, 1, 1, NULL, kf_cmd_status },
	{ "results", "GALLERY --client CLIENT", "the photos a client was recognised in",
	  "Best similarity first; each photo once (its best face for the client).",
	  1, 1, results_opts, kf_cmd_results },
	{ "face confirm", "GALLERY PHOTO FACE CLIENT", "say that a face is that client",
	  "The face (its index, as 'kingface detail' shows it) is the client, whether\n"
	  "or not the engine proposed it: it stays matched through rematch, process\n"
	  "--all, --no-cache and a threshold change, and counts in results and\n"
	  "recognition. The client leaves the photo's other faces. The review follows\n"
	  "the face by its box when the photo is processed again.",
	  4, 4, NULL, kf_cmd_face_confirm },
	{ "face reject", "GALLERY PHOTO FACE CLIENT", "say that a face is not that client",
	  "The match goes and never comes back; the face may take its next-best client.",
	  4, 4, NULL, kf_cmd_face_reject },
	{ "face clear", "GALLERY PHOTO FACE", "forget the reviews of a face",
	  NULL, 3, 3, NULL, kf_cmd_face_clear },
	{ "export", "GALLERY --to DIR", "a folder per client with its photos, and a manifest",
	  "Writes DIR/<client name>/ holding exactly the photos 'kingface results\n"
	  "--client' lists, each under its file name, and DIR/manifest.csv (client,\n"
	  "photo, face, similarity, review). Photos are hard links (copies with --copy\n"
	  "or across file systems). An existing file is never overwritten: it is named\n"
	  "on stderr and the export goes on. Client names become safe folder names\n"
	  "(docs/cli.md); nothing is written outside DIR.",
	  1, 1, export_opts, kf_cmd_export },
	{ "detail", "GALLERY PHOTO", "a photo's faces, boxes and matched clients",
	  "For each face: its box, detector confidence, the matched clients with their\n"
	  "similarity, and the best other client (why it was not matched).",
	  2, 2, NULL, kf_cmd_detail },
	{ "recognition", "GALLERY", "every client with the number of photos it appears in",
	  NULL, 1, 1, NULL, kf_cmd_recognition },
	{ "people assign", "GALLERY CLUSTER CLIENT", "name a cluster of 'kingface people'",
	  "Every face of the cluster is confirmed as the client (as 'kingface face\n"
	  "confirm' does; the cluster never holds two faces of one photo), its 3 largest\n"
	  "faces become the client's references, and the gallery is re-matched, in one\n"
	  "transaction. --create adds the client when it does not exist.",
	  3, 3, people_assign_opts, kf_cmd_people_assign },
	{ "people", "GALLERY", "the faces that match no client, clustered into people",
	  "The gallery's recognisable faces with no match (below the threshold,\n"
	  "ambiguous, or rejected) grouped by likeness into people, so that they can be\n"
	  "named: one line per cluster, largest first, with its number of faces and\n"
	  "photos and a representative face (the closest to the cluster's mean), then\n"
	  "the number of faces left in clusters smaller than --min-faces. Cluster ids are\n"
	  "ranks (1 the largest; ties by the first photo key and face index) and stay\n"
	  "the same from one run to the next while nothing changes. Faces too small to\n"
	  "recognise are left out. See docs/similarity.md for how faces are grouped.",
	  1, 1, people_opts, kf_cmd_people },
	{ "settings get", "[KEY]", "show settings and their defaults", NULL, 0, 1, NULL,
	  kf_cmd_settings_get },
	{ "settings set", "KEY VALUE", "change a setting", NULL, 2, 2, NULL,
	  kf_cmd_settings_set },
	{ "photo list", "GALLERY", "list a gallery's photos and their status",
	  "Photos are listed by key, a page at a time. Status is the photo's job state:\n"
	  "pending, running, done, failed (with the reason) or dead.",
	  1, 1, photo_list_opts, kf_cmd_photo_list },
	{ "detect", "IMAGE...", "find faces in image files (no database needed)",
	  "Prints each image's size and its faces: score, the box in pixels of the image\n"
	  "as a person sees it (EXIF orientation applied) and the same box as fractions\n"
	  "(Rekognition's BoundingBox). Faces are sorted by score. An image that cannot\n"
	  "be read gets an error entry, the others are still processed, and the exit\n"
	  "status is 1.\n\n"
	  "Any number of images: with --from FILE the paths in FILE (- : standard\n"
	  "input), one a line, come after those on the command line, e.g.\n"
	  "find shoot/ -name '*.jpg' | kingface detect --from -",
	  1, -1, detect_opts, kf_cmd_detect },
	{ "console", "", "the interactive console (also: kingface with no command)",
	  "Galleries, clients, photos, recognition and jobs, keyboard first: Enter opens,\n"
	  "p processes the selected gallery in the background with a live X/Y bar, ?\n"
	  "shows the keys of the screen, / filters, q goes back. See docs/console.md.\n"
	  "'kingface' with no command opens it when stdin and stdout are a terminal.",
	  0, 0, console_opts, kf_cmd_console },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
