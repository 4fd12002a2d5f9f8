/*
 * config-access: the access: section (who may connect, as whom) and its users
 * with their password hashes, roles and centres; the rules across sections
 * (tcp_auth off only on loopback). Parsing and lookups only: a password's
 * stored form is checked here (password.h), matched at AUTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "password.h"
#include "xmalloc.h"

const char *const role_names[ROLE_COUNT] = {"admin", "staff", "partner", "viewer"};

void user_free(struct user *u)
{
	free(u->name);
	free(u->password);
	for (size_t k = 0; k < u->ncentres; k++)
		free(u->centres[k]);
	free(u->centres);
}

static void user_name(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct user *u = obj;

	if (get_string(p, v, what, &u->name) == 0 &&
	    (u->name[0] == '\0' || strlen(u->name) > 64 || strpbrk(u->name, " \t\r\n") != NULL))
		cerr_at(p, v, "access.users: name \"%s\": 1-64 characters, no blanks", u->name);
}

/* Checked here, verified at AUTH; the legacy form is kept, and flagged. */
static void user_password(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct user *u = obj;
	enum password_kind kind;
	const char *s = scalar(v);
	char err[160];

	if (expect(p, v, YAML_SCALAR_NODE, what) < 0)
		return;
	if (password_parse(s, &kind, err, sizeof err) < 0) {
		if (s[0] == '$' || strncmp(s, "sha256:", 7) == 0)
			cerr_at(p, v,
			        "access.users: password: %s (make one with `repairctl passwd`)",
			        err);
		else
			cerr_at(p, v,
			        "access.users: password must be \"$scrypt$...\" or the legacy "
			        "\"sha256:\" and 64 hex digits (make one with `repairctl passwd`)");
		return;
	}
	free(u->password);
	u->password = xstrdup(s);
	u->password_legacy = kind == PASSWORD_LEGACY_SHA256;
}

static void user_centres(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	struct user *u = obj;

	(void)what;
	if (scalar(v) && strcmp(scalar(v), "*") == 0) {
		u->all_centres = true;
		return;
	}
	if (expect(p, v, YAML_SEQUENCE_NODE, "access.users: centres (a list or \"*\")") < 0)
		return;
	FOR_ITEMS(v, it)
	{
		yaml_node_t *c = node(p, *it);
		if (expect(p, c, YAML_SCALAR_NODE, "access.users: centres") < 0)
			continue;
		if (strcmp(scalar(c), "*") == 0) {
			u->all_centres = true;
			continue;
		}
		if (config_centre(p->cfg, scalar(c)) == NULL)
			cerr_at(p, c, "access.users: no centre \"%s\" (see centres:)", scalar(c));
		u->centres = xreallocarray(u->centres, u->ncentres + 1, sizeof *u->centres);
		u->centres[u->ncentres++] = xstrdup(scalar(c));
	}
}

enum { USER_NAME, USER_PASSWORD, USER_ROLE, USER_CENTRES };

static const struct ckey user_keys[] = {
        CK_FUNC("name", user_name, true),
        CK_FUNC("password", user_password, true),
        CK_TYPED("role", struct user, role, CK_ENUM, 0, 0, role_names, ROLE_COUNT, false),
        CK_FUNC("centres", user_centres, true),
};
const struct csection cfg_user_section = {"access.users", user_keys, NKEYS(user_keys), CK_COLON};

static void parse_user(struct cfgp *p, yaml_node_t *map)
{
	struct config *cfg = p->cfg;
	struct user u;
	yaml_node_t *at[NKEYS(user_keys)] = {0};
	size_t errors_before = p->errs->n;

	memset(&u, 0, sizeof u);
	u.role = ROLE_VIEWER;
	if (ckeys_parse(p, map, &cfg_user_section, "access.users", "access.users", &u, at) < 0)
		return;
	/* Only the first missing key: the others follow once it is there. */
	for (int k = 0; k < NKEYS(user_keys); k++)
		if (user_keys[k].required && at[k] == NULL) {
			cerr_at(p, map, "access.users: missing key \"%s\"", user_keys[k].name);
			break;
		}
	for (size_t k = 0; u.name && k < cfg->nusers; k++)
		if (strcmp(cfg->users[k].name, u.name) == 0)
			cerr_at(p, at[USER_NAME], "access.users: user \"%s\" listed twice", u.name);
	if (p->errs->n != errors_before) {
		user_free(&u);
		return;
	}
	cfg->users = xreallocarray(cfg->users, cfg->nusers + 1, sizeof *cfg->users);
	cfg->users[cfg->nusers++] = u;
}

static void access_users(struct cfgp *p, yaml_node_t *v, const char *what, void *obj)
{
	(void)obj;
	if (expect(p, v, YAML_SEQUENCE_NODE, what) < 0)
		return;
	FOR_ITEMS(v, it)
	parse_user(p, node(p, *it));
}

static const struct ckey access_keys[] = {
        CK_TYPED("tcp_auth", struct config, tcp_auth, CK_BOOL, 0, 0, NULL, 0, false),
        CK_TYPED("unix_user", struct config, unix_user, CK_STRING, 0, 0, NULL, 0, false),
        CK_FUNC("users", access_users, false),
};
const struct csection cfg_access_section = {"access", access_keys, NKEYS(access_keys), CK_DOTTED};

void parse_access(struct cfgp *p, yaml_node_t *n)
{
	ckeys_parse(p, n, &cfg_access_section, "access", "access", p->cfg, NULL);
}

bool config_loopback_address(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
	       strncmp(addr, "localhost:", 10) == 0;
}

/* Rules across sections: tcp_auth off only on loopback; unix_user names a user. */
void check_access(struct cfgp *p, yaml_node_t *at)
{
	struct config *cfg = p->cfg;

	if (!cfg->tcp_auth) {
		for (size_t i = 0; i < cfg->nlisten_tcp; i++)
			if (!config_loopback_address(cfg->listen_tcp[i]))
				cerr_at(p, at,
				        "access.tcp_auth: off is allowed only when every TCP "
				        "listener is on loopback, and %s is not",
				        cfg->listen_tcp[i]);
		for (size_t i = 0; i < cfg->nlisten_tls; i++)
			if (!config_loopback_address(cfg->listen_tls[i].address))
				cerr_at(p, at,
				        "access.tcp_auth: off is allowed only when every TCP "
				        "listener is on loopback, and %s (listen.tls) is not",
				        cfg->listen_tls[i].address);
	}
	if (cfg->nusers > 0 && config_user(cfg, cfg->unix_user) == NULL)
		cerr_at(p, at, "access.unix_user: no user \"%s\" in access.users", cfg->unix_user);
}

const struct user *config_user(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			return &cfg->users[i];
	return NULL;
}

bool config_user_has_centre(const struct user *u, const char *centre)
{
	if (u->all_centres)
		return true;
	for (size_t i = 0; i < u->ncentres; i++)
		if (strcmp(u->centres[i], centre) == 0)
			return true;
	return false;
}
