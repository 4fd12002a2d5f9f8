/*
 * config: repaird.yaml (and the product catalogue it names) parsed with
 * libyaml into one immutable struct config. Every problem is reported as
 * "file:line:column: message" naming the key and what is allowed; the parser
 * collects all of them rather than stopping at the first. Unknown keys are
 * refused.
 *
 * The core reads no files and never touches TZ: config_parse_with() gets the
 * text, and a struct config_reader through which the shell hands over the
 * bytes of the other files it names (the catalogue, each centre's zone) and
 * says whether the TLS files can be read. A test or a fuzzer gives one that
 * serves bytes from memory. config_load() and config_parse() are the shell's
 * (daemon/config-file.c): they read from the file system.
 */
#ifndef REPAIRD_CONFIG_H
#define REPAIRD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "domain.h"

#define CONFIG_ID_MAX 32

struct country {
	char code[3];
	char *name;
	enum programme programme;
	bool silver_only;
	int target_days[TIER_COUNT]; /* a country's own target per tier; 0 = use the default */
};

struct centre {
	char id[CONFIG_ID_MAX + 1];
	char *name;
	enum centre_type type;
	char country[3];
	char *timezone;
	struct cal_week week;
	int32_t *holidays; /* local dates, sorted */
	size_t nholidays;
	struct calendar cal;
};

struct product {
	char *model; /* exact, full catalogue name */
	enum product_class cls;
	bool fast_track;
	bool video;
	int points;
};

enum role { ROLE_ADMIN, ROLE_STAFF, ROLE_PARTNER, ROLE_VIEWER, ROLE_COUNT };
extern const char *const role_names[ROLE_COUNT];

struct user {
	char *name;
	char *password; /* stored form: "$scrypt$..." or the legacy "sha256:<hex>" (password.h) */
	bool password_legacy; /* the latter: the daemon warns at start */
	enum role role;
	bool all_centres; /* centres: "*" */
	char **centres;   /* else these centre ids */
	size_t ncentres;
};

/* A TLS listener (listen.tls); relative cert and key paths start at the config's directory. */
struct tls_listen {
	char *address; /* "host:port" */
	char *cert;    /* PEM: the certificate, then any intermediates */
	char *key;     /* PEM: its private key */
	int handshake_timeout_ms;
};

struct config {
	char *path;

	/* listen: */
	char **listen_tcp; /* "host:port" */
	size_t nlisten_tcp;
	char *listen_unix; /* NULL = none */
	unsigned unix_mode;
	struct tls_listen *listen_tls;
	size_t nlisten_tls;

	/* server: */
	char *state_dir;
	int max_clients;
	int idle_timeout; /* seconds; 0 = off */
	enum log_level log_level;

	/* limits: */
	int request_timeout_ms; /* a request must arrive whole within this of its first byte */
	int per_address;        /* TCP connections from one address at a time */
	int unix_clients;       /* unix-socket slots, apart from max_clients */

	/* metrics: */
	char *metrics_listen; /* "host:port" of the HTTP endpoint; NULL = off */

	/* journal: */
	enum fsync_policy fsync;

	/* redis: */
	bool redis_enabled;
	char *redis_host;
	int redis_port;
	char *redis_unix; /* NULL = TCP */
	/* With sentinels, the primary's address comes from them, not host/port. */
	char **redis_sentinels; /* "host:port" each; none: host/port or unix */
	size_t nredis_sentinels;
	char *redis_master; /* the name the sentinels know the primary by */
	int redis_db;
	char *redis_password; /* NULL = none */
	char *redis_prefix;
	long redis_maxlen;
	unsigned redis_events; /* bit per enum event_type */
	int redis_connect_timeout_ms;
	int redis_reply_timeout_ms;
	bool redis_resend_lost;    /* on_stream_lost: resend (true) or skip */
	long redis_retain_events;  /* delivered events kept for resending into a lost stream */
	long redis_retain_seconds; /* ... none older than this; 0 = no limit by age */

	/* policy: */
	int in_service_limit;
	enum over_limit over_limit;
	int at_risk_permille;  /* at risk once this share of the budget is used */
	unsigned pause_states; /* bit per enum ticket_state */
	int standard_days;
	int video_min_days;
	enum programme default_programme;
	int target_days[TIER_COUNT];
	unsigned loan_rules[PROGRAMME_COUNT][TIER_COUNT]; /* LOAN_ON_* bits */
	unsigned fast_track_services[CENTRE_TYPE_COUNT];  /* bit per enum service */

	/* calendar: */
	int first_year;
	int last_year;
	int64_t day_seconds; /* default standard working day; 0 = derive per centre */

	struct country *countries; /* sorted by code */
	size_t ncountries;
	struct centre *centres; /* in file order */
	size_t ncentres;
	struct product *products; /* sorted by model (strcmp) */
	size_t nproducts;
	char *products_path;
	uint32_t fingerprint; /* CRC32C of the configuration and catalogue texts */

	/* access: */
	bool tcp_auth;   /* TCP clients must AUTH (off only when every listener is loopback) */
	char *unix_user; /* the user a unix-socket connection acts as */
	struct user *users;
	size_t nusers;

	/* journal: (compaction) */
	long journal_compact_min;  /* bytes: never compact a smaller journal */
	int journal_compact_ratio; /* compact when the journal is this many times the live state */

	/* retention: closed tickets older than this many days leave memory and the live
	 * journal for the archive at compaction (0: at the next compaction). */
	int retention_closed_days;
	/* ha: (high availability through Redis); ha_enabled false: role single. */
	bool ha_enabled;
	char *ha_node;      /* this node's unique name */
	char *ha_advertise; /* host:port clients are sent to; NULL: the first listen.tcp */
	int ha_lease_ms;
	bool ha_sync; /* replies wait for Redis's copy of the batch */
	int ha_wait_replicas;

	/* emea: the countries of the EMEA region, sorted; NULL when the key is absent. */
	char (*emea)[3];
	size_t nemea;
};

/* A list of error messages, each "file:line:column: message". */
struct config_errors {
	char **msg;
	size_t n;
};

/* What a config_reader is asked for. */
enum config_file_kind {
	CONFIG_FILE_CATALOGUE, /* products: the path as resolved against base_dir */
	CONFIG_FILE_ZONE,      /* a centre's timezone: an IANA name; its TZif bytes */
	CONFIG_FILE_PEM,       /* listen.tls cert or key path: only whether it can be read */
};

struct config_reader {
	const char *base_dir; /* where relative catalogue names start; NULL = as written */
	/*
	 * The bytes of `name`: 0 with *data and *len (valid until config_parse_with
	 * returns; NULL and 0 will do for CONFIG_FILE_PEM), or -1 with the reason in
	 * err ("cannot open: No such file or directory", "not a regular file").
	 */
	int (*read)(void *ctx, enum config_file_kind kind, const char *name,
	            const unsigned char **data, size_t *len, char *err, size_t errlen);
	void *ctx;
};

/*
 * Parse YAML text as if read from `name`, other files through rd. Returns a
 * new config, or NULL with every problem in errs (which the caller frees with
 * config_errors_free).
 */
struct config *config_parse_with(const char *name, const char *text, size_t len,
                                 const struct config_reader *rd, struct config_errors *errs);

/* The shell's (daemon/config-file.c): the same, reading files. */
struct config *config_load(const char *path, struct config_errors *errs);
/* Parse YAML text as if read from `name` (products: paths relative to base_dir). */
struct config *config_parse(const char *name, const char *text, size_t len, const char *base_dir,
                            struct config_errors *errs);

/* Add "file:line:column: message" to errs (at most 200 are kept). */
void config_errors_add(struct config_errors *errs, const char *file, size_t line, size_t col,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);

/*
 * Every key the parser accepts: fn(section, key, ctx) for each, section ""
 * for the top level, else "server", "listen.tls", "centres", "access.users",
 * "products" (an entry of the catalogue), ... From the parser's own tables,
 * so a new key shows up here (and in the check against repaird.yaml(5)).
 */
void config_key_each(void (*fn)(const char *section, const char *key, void *ctx), void *ctx);

const struct centre *config_centre(const struct config *cfg, const char *id);
const struct country *config_country(const struct config *cfg, const char *code);
const struct product *config_product(const struct config *cfg, const char *model);
/*
 * true when cc (a two-letter country code) is in the emea: list; without an
 * emea: key every country counts as EMEA (the behaviour before the key existed).
 */
bool config_is_emea(const struct config *cfg, const char *cc);
const struct user *config_user(const struct config *cfg, const char *name);
/* "127.x.x.x:port", "[::1]:port" or "localhost:port". */
bool config_loopback_address(const char *addr);
/* true when the user may work on tickets of this centre. */
bool config_user_has_centre(const struct user *u, const char *centre);
/*
 * Up to max catalogue names closest to model (edit distance, case-insensitive),
 * best first; returns how many were written.
 */
size_t config_product_suggest(const struct config *cfg, const char *model, const char **out,
                              size_t max);

#endif
