/*
 * Integration: common Redis clients work with their defaults (docs/protocol.md,
 * "Working with Redis client libraries"): HELLO and RESP3, AUTH password,
 * MULTI/EXEC/DISCARD (one commit for a whole transaction), COMMAND
 * INFO/DOCS from the command table, CLIENT, SELECT. Against the real daemon:
 * hiredis from here, and as child processes redis-py (RESP2, a transactional
 * pipeline), node-redis (RESP3) and redis-cli in a terminal (its argument
 * hints come from COMMAND DOCS).
 */
#include <check.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* "default" is the user of AUTH password (and of clients that send only a password). */
static const char *access_yaml =
        "access:\n"
        "  tcp_auth: on\n"
        "  unix_user: default\n"
        "  users:\n"
        "    - {name: default, password: \"sha256:" HASH_ADMIN "\", role: admin, centres: \"*\"}\n"
        "    - {name: desk, password: \"sha256:" HASH_STAFF "\", role: staff,\n"
        "       centres: [DE-PSC-TEST]}\n"
        "    - {name: workshop, password: \"sha256:" HASH_PARTNER "\", role: partner,\n"
        "       centres: [DE-ASP-TEST]}\n";

static struct daemon d;

static void setup(void)
{
	harness_start(&d, access_yaml, NULL);
}

static void teardown(void)
{
	daemon_cleanup(&d);
}

static const char *src_dir(void)
{
	const char *s = getenv("REPAIRD_SRC");
	return s ? s : ".";
}

static void expect_error(redisReply *r, const char *text)
{
	ck_assert_msg(r->type == REDIS_REPLY_ERROR, "expected -%s, got type %d %s", text, r->type,
	              r->str ? r->str : "");
	ck_assert_str_eq(r->str, text);
	freeReplyObject(r);
}

static redisReply *open_ticket(redisContext *c, const char *serial)
{
	return cmd(c, "TICKET.OPEN", "CENTRE", "DE-PSC-TEST", "PRODUCT", "EOS R5", "SERIAL", serial,
	           "SERVICE", "repair", "REGISTERED", "yes", NULL);
}

/* INFO persistence's fsyncs: one per commit (the test config has fsync: always). */
static long long fsyncs(redisContext *c)
{
	redisReply *r = cmd(c, "INFO", "persistence", NULL);
	const char *p = strstr(r->str, "fsyncs:");
	long long n;

	ck_assert_msg(p != NULL, "INFO persistence: %s", r->str);
	n = atoll(p + 7);
	freeReplyObject(r);
	return n;
}

/* Run a shell command; its output (stdout and stderr) into out, the exit status returned. */
static int run(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int run(char *out, size_t cap, const char *fmt, ...)
{
	char command[2048];
	size_t n = 0, got;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(command, sizeof command, fmt, ap);
	va_end(ap);
	p = popen(command, "r");
	ck_assert_ptr_nonnull(p);
	while (n + 1 < cap && (got = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Every line in want (NUL-separated, ending with an empty one) is a line of out, in order. */
static void expect_lines(const char *out, const char *want)
{
	const char *at = out;

	for (const char *w = want; *w; w += strlen(w) + 1) {
		char line[256];
		const char *p;
		snprintf(line, sizeof line, "%s\n", w);
		p = strstr(at, line);
		ck_assert_msg(p != NULL && (p == out || p[-1] == '\n'),
		              "expected the line \"%s\" (in order) in:\n%s", w, out);
		at = p + strlen(line);
	}
}

/* ---- HELLO, AUTH, SELECT ---------------------------------------------------------------- */

START_TEST(test_hello_resp2_map_and_errors)
{
	redisContext *c = daemon_connect(&d);
	redisReply *r;

	/* Before AUTH, as Redis allows: the server map as a flat array under RESP2. */
	r = cmd(c, "HELLO", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 14);
	ck_assert_str_eq(field(r, "server"), "repaird");
	ck_assert_str_eq(field(r, "version"), "0.1.0");
	ck_assert_str_eq(field(r, "mode"), "standalone");
	ck_assert_str_eq(field(r, "role"), "master");
	ck_assert_str_eq(r->element[4]->str, "proto");
	ck_assert_int_eq(r->element[5]->integer, 2);
	ck_assert_str_eq(r->element[6]->str, "id");
	ck_assert_int_gt(r->element[7]->integer, 0);
	ck_assert_str_eq(r->element[12]->str, "modules");
	ck_assert_int_eq(r->element[13]->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->element[13]->elements, 0);
	freeReplyObject(r);
	expect_error(cmd(c, "HELLO", "4", NULL), "NOPROTO unsupported protocol version");
	expect_error(cmd(c, "HELLO", "1", NULL), "NOPROTO unsupported protocol version");
	expect_error(cmd(c, "HELLO", "two", NULL),
	             "ERR Protocol version is not an integer or out of range");
	expect_error(cmd(c, "HELLO", "2", "FROB", NULL), "ERR Syntax error in HELLO option 'FROB'");
	/* HELLO's AUTH is AUTH: the same answer, and nothing changes. */
	expect_error(cmd(c, "HELLO", "2", "AUTH", "default", "wrong", "SETNAME", "x", NULL),
	             "WRONGPASS invalid username-password pair or user is disabled.");
	expect_error(cmd(c, "CLIENT", "GETNAME", NULL), "NOAUTH Authentication required.");
	r = cmd(c, "HELLO", "2", "AUTH", "desk", "staff-pw", "SETNAME", "desk-app", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	r = cmd(c, "CLIENT", "GETNAME", NULL);
	ck_assert_str_eq(r->str, "desk-app");
	freeReplyObject(r);
	/* Acts as desk (staff): may not write members. */
	expect_error(cmd(c, "MEMBER.SET", "151335488", "TIER", "gold", "COUNTRY", "DE", NULL),
	             "NOPERM user desk (staff) may not run MEMBER.SET");
	harness_expect_status(cmd(c, "SELECT", "0", NULL), "OK");
	expect_error(cmd(c, "SELECT", "1", NULL), "ERR DB index is out of range");
	redisFree(c);
}
END_TEST

START_TEST(test_auth_with_password_only_is_default)
{
	redisContext *c = daemon_connect(&d);

	expect_error(cmd(c, "AUTH", "wrong", NULL),
	             "WRONGPASS invalid username-password pair or user is disabled.");
	expect_error(cmd(c, "AUTH", "staff-pw", NULL),
	             "WRONGPASS invalid username-password pair or user is disabled.");
	harness_expect_status(cmd(c, "AUTH", "admin-pw", NULL), "OK");
	harness_expect_status(
	        cmd(c, "MEMBER.SET", "151335488", "TIER", "gold", "COUNTRY", "DE", NULL), "OK");
	redisFree(c);
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "authenticated as default (admin)"));
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* HELLO's AUTH is counted and slowed down with AUTH's failures: no way around the delay. */
START_TEST(test_hello_auth_guessing_is_slowed_down)
{
	redisContext *c = daemon_connect(&d);
	double t;

	for (int i = 0; i < 3; i++) {
		t = now_s();
		expect_error(cmd(c, "HELLO", "3", "AUTH", "default", "guess", NULL),
		             "WRONGPASS invalid username-password pair or user is disabled.");
		ck_assert_double_lt(now_s() - t, 0.5);
	}
	t = now_s();
	expect_error(cmd(c, "AUTH", "guess", NULL),
	             "WRONGPASS invalid username-password pair or user is disabled.");
	ck_assert_double_ge(now_s() - t, 0.9);
	redisFree(c);
}
END_TEST

/* Everything after HELLO 3 in RESP3: records are maps, "no value" is _, INFO stays a bulk. */
START_TEST(test_resp3_records_are_maps)
{
	static const char req[] =
	        "HELLO 3 AUTH default admin-pw\r\n"
	        "MEMBER.SET 151335488 TIER gold COUNTRY DE\r\n"
	        "MEMBER.GET 151335488\r\n"
	        "TICKET.OPEN CENTRE DE-PSC-TEST PRODUCT \"EOS R5\" SERIAL RAW0001 SERVICE repair "
	        "MEMBER 151335488 REGISTERED yes\r\n"
	        "CLIENT GETNAME\r\n"
	        "INFO tickets\r\n"
	        "CENTRE.LIST\r\n"
	        "STATS\r\n"
	        "HELLO\r\n"
	        "QUIT\r\n";
	static const char *const want[] = {
	        "%7\r\n$6\r\nserver\r\n$7\r\nrepaird\r\n$7\r\nversion\r\n$5\r\n0.1.0\r\n"
	        "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:",
	        "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
	        "$7\r\nmodules\r\n*0\r\n+OK\r\n",
	        "%10\r\n$6\r\nnumber\r\n$9\r\n151335488\r\n$4\r\ntier\r\n$4\r\ngold\r\n",
	        "$4\r\nemea\r\n$1\r\n1\r\n",
	        "%30\r\n$2\r\nid\r\n$1\r\n1\r\n",
	        /* A flag stays a string, as in RESP2. */
	        "$10\r\nfast_track\r\n$1\r\n1\r\n",
	        "_\r\n$",
	        "# Tickets\r\n",
	        "*3\r\n%5\r\n$2\r\nid\r\n$11\r\nDE-PSC-TEST\r\n",
	        "%15\r\n$6\r\nclosed\r\n$1\r\n0\r\n",
	        "%7\r\n$6\r\nserver\r\n",
	        "+OK\r\n",
	};
	char buf[16384];
	const char *at = buf;
	int fd = harness_raw_connect(d.port);

	ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	harness_read_all(fd, buf, sizeof buf);
	close(fd);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *p = strstr(at, want[i]);
		ck_assert_msg(p != NULL, "RESP3 reply %zu not found (in order) in:\n%s", i, buf);
		at = p + strlen(want[i]);
	}
	ck_assert_ptr_null(strstr(buf, "*60\r\n")); /* no ticket as a flat array */
}
END_TEST

/* ---- transactions ----------------------------------------------------------------------- */

START_TEST(test_multi_exec_one_commit)
{
	redisContext *c = harness_login(&d, "default", "admin-pw"),
	             *o = harness_login(&d, "default", "admin-pw");
	redisReply *r;
	long long before;

	/* Three writes one after the other: three commits. */
	before = fsyncs(o);
	for (int i = 0; i < 3; i++)
		freeReplyObject(open_ticket(c, i == 0   ? "SER0001"
		                               : i == 1 ? "SER0002"
		                                        : "SER0003"));
	ck_assert_int_eq(fsyncs(o) - before, 3);
	/* The same three in a transaction, each queued with a round trip: one commit. */
	before = fsyncs(o);
	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	harness_expect_status(open_ticket(c, "SER0004"), "QUEUED");
	harness_expect_status(cmd(c, "TICKET.MOVE", "4", "received", NULL), "QUEUED");
	harness_expect_status(cmd(c, "TICKET.GET", "4", NULL), "QUEUED");
	harness_expect_status(cmd(c, "TICKET.GET", "999", NULL), "QUEUED");
	/* Nothing ran yet (INFO from another connection: this one's would be queued). */
	ck_assert_int_eq(fsyncs(o) - before, 0);
	r = cmd(c, "EXEC", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_str_eq(field(r->element[0], "id"), "4");
	ck_assert_str_eq(field(r->element[0], "state"), "booked");
	ck_assert_str_eq(field(r->element[1], "state"), "received");
	ck_assert_str_eq(field(r->element[2], "state"), "received");
	/* An error at run time is that command's reply; the others stand. */
	ck_assert_int_eq(r->element[3]->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->element[3]->str, "NOTFOUND ticket 999: no such ticket");
	freeReplyObject(r);
	ck_assert_int_eq(fsyncs(o) - before, 1);
	redisFree(c);
	redisFree(o);
}
END_TEST

START_TEST(test_multi_errors_as_redis)
{
	redisContext *c = harness_login(&d, "default", "admin-pw"),
	             *p = harness_login(&d, "workshop", "partner-pw");
	redisReply *r;

	expect_error(cmd(c, "EXEC", NULL), "ERR EXEC without MULTI");
	expect_error(cmd(c, "DISCARD", NULL), "ERR DISCARD without MULTI");
	expect_error(cmd(c, "WATCH", "k", NULL), "ERR WATCH is not supported");
	harness_expect_status(cmd(c, "UNWATCH", NULL), "OK");
	/* An unknown command at queueing aborts the whole transaction. */
	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	expect_error(cmd(c, "MULTI", NULL), "ERR MULTI calls can not be nested");
	expect_error(cmd(c, "WATCH", "k", NULL), "ERR WATCH inside MULTI is not allowed");
	harness_expect_status(open_ticket(c, "ABORT001"), "QUEUED");
	r = cmd(c, "FROB", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	expect_error(cmd(c, "EXEC", NULL),
	             "EXECABORT Transaction discarded because of previous errors.");
	expect_error(cmd(c, "TICKET.GET", "1", NULL), "NOTFOUND ticket 1: no such ticket");
	/* So does a wrong number of arguments. */
	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	harness_expect_status(open_ticket(c, "ABORT002"), "QUEUED");
	r = cmd(c, "TICKET.GET", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	expect_error(cmd(c, "EXEC", NULL),
	             "EXECABORT Transaction discarded because of previous errors.");
	/* DISCARD forgets. */
	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	harness_expect_status(open_ticket(c, "DISC0001"), "QUEUED");
	harness_expect_status(cmd(c, "DISCARD", NULL), "OK");
	expect_error(cmd(c, "TICKET.GET", "1", NULL), "NOTFOUND ticket 1: no such ticket");
	/* NOPERM at queueing (a partner writing a member) aborts too. */
	harness_expect_status(cmd(p, "MULTI", NULL), "OK");
	r = cmd(p, "MEMBER.SET", "151335488", "TIER", "gold", "COUNTRY", "DE", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
	ck_assert_str_eq(r->str, "NOPERM user workshop (partner) may not run MEMBER.SET");
	freeReplyObject(r);
	expect_error(cmd(p, "EXEC", NULL),
	             "EXECABORT Transaction discarded because of previous errors.");
	/* QUIT is not queued: it closes the connection at once. */
	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	harness_expect_status(cmd(c, "QUIT", NULL), "OK");
	ck_assert_ptr_null(redisCommand(c, "PING"));
	redisFree(c);
	redisFree(p);
}
END_TEST

/* A transaction is bounded like a request: past 100000 commands it is refused whole. */
START_TEST(test_multi_queue_is_bounded)
{
	redisContext *c = harness_login(&d, "default", "admin-pw");
	redisReply *r;
	int queued = 0, refused = 0;

	harness_expect_status(cmd(c, "MULTI", NULL), "OK");
	for (int i = 0; i < 100001; i++)
		ck_assert_int_eq(redisAppendCommand(c, "PING"), REDIS_OK);
	for (int i = 0; i < 100001; i++) {
		ck_assert_int_eq(redisGetReply(c, (void **)&r), REDIS_OK);
		if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "QUEUED") == 0)
			queued++;
		else if (r->type == REDIS_REPLY_ERROR &&
		         strncmp(r->str, "ERR transaction too large: ", 27) == 0)
			refused++;
		freeReplyObject(r);
	}
	ck_assert_int_eq(queued, 100000);
	ck_assert_int_eq(refused, 1);
	expect_error(cmd(c, "EXEC", NULL),
	             "EXECABORT Transaction discarded because of previous errors.");
	harness_expect_status(cmd(c, "PING", NULL), "PONG");
	redisFree(c);
}
END_TEST

/* Before AUTH, MULTI itself is refused; a NOAUTH while queueing aborts. */
START_TEST(test_multi_needs_auth)
{
	redisContext *c = daemon_connect(&d);

	expect_error(cmd(c, "MULTI", NULL), "NOAUTH Authentication required.");
	expect_error(cmd(c, "EXEC", NULL), "NOAUTH Authentication required.");
	redisFree(c);
}
END_TEST

/* ---- CLIENT ----------------------------------------------------------------------------- */

START_TEST(test_client_commands)
{
	redisContext *c = harness_login(&d, "default", "admin-pw"),
	             *s = harness_login(&d, "desk", "staff-pw");
	redisReply *r;
	long long sid;
	char id[24], buf[64];

	r = cmd(s, "CLIENT", "ID", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	sid = r->integer;
	freeReplyObject(r);
	r = cmd(s, "CLIENT", "GETNAME", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	expect_error(cmd(s, "CLIENT", "SETNAME", "two words", NULL),
	             "ERR Client names cannot contain spaces, newlines or special characters.");
	harness_expect_status(cmd(s, "CLIENT", "SETNAME", "desk-1", NULL), "OK");
	harness_expect_status(cmd(s, "CLIENT", "SETINFO", "LIB-NAME", "hiredis", NULL), "OK");
	harness_expect_status(cmd(s, "CLIENT", "SETINFO", "lib-ver", "0.14", NULL), "OK");
	expect_error(cmd(s, "CLIENT", "SETINFO", "colour", "red", NULL),
	             "ERR Unrecognized option 'colour'");
	r = cmd(s, "CLIENT", "INFO", NULL);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	snprintf(buf, sizeof buf, "id=%lld ", sid);
	ck_assert_msg(strncmp(r->str, buf, strlen(buf)) == 0, "CLIENT INFO: %s", r->str);
	ck_assert_ptr_nonnull(strstr(r->str, " name=desk-1 "));
	ck_assert_ptr_nonnull(strstr(r->str, " user=desk "));
	ck_assert_ptr_nonnull(strstr(r->str, " lib-name=hiredis lib-ver=0.14 resp=2\n"));
	freeReplyObject(r);
	expect_error(cmd(s, "CLIENT", "FROB", NULL),
	             "ERR unknown subcommand 'FROB'. Try CLIENT HELP.");
	/* LIST and KILL are for admin. */
	expect_error(cmd(s, "CLIENT", "LIST", NULL),
	             "NOPERM user desk (staff) may not run CLIENT LIST");
	expect_error(cmd(s, "CLIENT", "KILL", "ID", "1", NULL),
	             "NOPERM user desk (staff) may not run CLIENT KILL");
	r = cmd(c, "CLIENT", "LIST", NULL);
	ck_assert_ptr_nonnull(strstr(r->str, " name=desk-1 "));
	ck_assert_ptr_nonnull(strstr(r->str, " user=default "));
	freeReplyObject(r);
	snprintf(id, sizeof id, "%lld", sid);
	r = cmd(c, "CLIENT", "KILL", "ID", id, NULL);
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	ck_assert_ptr_null(redisCommand(s, "PING"));
	r = cmd(c, "CLIENT", "KILL", "ID", id, NULL);
	ck_assert_int_eq(r->integer, 0);
	freeReplyObject(r);
	expect_error(cmd(c, "CLIENT", "KILL", "127.0.0.1:1", NULL),
	             "ERR No such client: 127.0.0.1:1");
	redisFree(s);
	redisFree(c);
}
END_TEST

/* ---- COMMAND ---------------------------------------------------------------------------- */

/* The value of key in a RESP2 map (flat array), or NULL. */
static const redisReply *map_get(const redisReply *m, const char *key)
{
	for (size_t i = 0; m && i + 1 < m->elements; i += 2)
		if (strcmp(m->element[i]->str, key) == 0)
			return m->element[i + 1];
	return NULL;
}

START_TEST(test_command_info_and_docs)
{
	redisContext *c = daemon_connect(&d); /* COMMAND is allowed before AUTH */
	redisReply *all = cmd(c, "COMMAND", NULL), *r, *docs;
	const redisReply *move, *args, *a;

	r = cmd(c, "COMMAND", "COUNT", NULL);
	ck_assert_int_eq(r->integer, (long long)all->elements);
	freeReplyObject(r);
	/* Redis 7's ten fields; CLIENT lists its subcommands. */
	for (size_t i = 0; i < all->elements; i++) {
		ck_assert_uint_eq(all->element[i]->elements, 10);
		if (strcmp(all->element[i]->element[0]->str, "client") == 0)
			ck_assert_uint_ge(all->element[i]->element[9]->elements, 7);
	}
	r = cmd(c, "COMMAND", "INFO", "ticket.get", "nosuch", "client|setname", NULL);
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_str_eq(r->element[0]->element[0]->str, "ticket.get");
	ck_assert_int_eq(r->element[0]->element[1]->integer, 2);
	ck_assert_str_eq(r->element[0]->element[2]->element[0]->str, "readonly");
	ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_NIL);
	ck_assert_str_eq(r->element[2]->element[0]->str, "client|setname");
	ck_assert_int_eq(r->element[2]->element[1]->integer, 3);
	freeReplyObject(r);
	/* Every command has its docs, with a summary and a group. */
	docs = cmd(c, "COMMAND", "DOCS", NULL);
	ck_assert_uint_eq(docs->elements, 2 * all->elements);
	for (size_t i = 0; i + 1 < docs->elements; i += 2) {
		const redisReply *s = map_get(docs->element[i + 1], "summary");
		ck_assert_msg(s && s->len > 0, "%s has no summary", docs->element[i]->str);
		ck_assert_ptr_nonnull(map_get(docs->element[i + 1], "group"));
		ck_assert_str_eq(map_get(docs->element[i + 1], "since")->str, "0.1.0");
	}
	freeReplyObject(docs);
	freeReplyObject(all);
	ck_assert_ptr_null(strstr(daemon_log(&d), "cannot be read"));
	/* TICKET.MOVE id state [AT time] ...: its usage line as arguments. */
	docs = cmd(c, "COMMAND", "DOCS", "TICKET.MOVE", "nosuch", NULL);
	ck_assert_uint_eq(docs->elements, 2);
	ck_assert_str_eq(docs->element[0]->str, "ticket.move");
	move = docs->element[1];
	ck_assert_str_eq(map_get(move, "group")->str, "tickets");
	args = map_get(move, "arguments");
	ck_assert_uint_eq(args->elements, 5);
	ck_assert_str_eq(map_get(args->element[0], "name")->str, "id");
	ck_assert_str_eq(map_get(args->element[0], "type")->str, "integer");
	ck_assert_ptr_null(map_get(args->element[0], "flags"));
	ck_assert_str_eq(map_get(args->element[1], "name")->str, "state");
	a = args->element[2];
	ck_assert_str_eq(map_get(a, "name")->str, "time");
	ck_assert_str_eq(map_get(a, "token")->str, "AT");
	ck_assert_str_eq(map_get(a, "flags")->element[0]->str, "optional");
	freeReplyObject(docs);
	/* A oneof of pure tokens (TICKET.OPEN SERVICE repair|maintenance|upgrade). */
	docs = cmd(c, "COMMAND", "DOCS", "ticket.open", NULL);
	args = map_get(docs->element[1], "arguments");
	a = args->element[3];
	ck_assert_str_eq(map_get(a, "type")->str, "oneof");
	ck_assert_str_eq(map_get(a, "token")->str, "SERVICE");
	ck_assert_str_eq(map_get(map_get(a, "arguments")->element[1], "token")->str, "maintenance");
	ck_assert_str_eq(map_get(map_get(a, "arguments")->element[1], "type")->str, "pure-token");
	freeReplyObject(docs);
	/* Subcommands under the container. */
	docs = cmd(c, "COMMAND", "DOCS", "client", NULL);
	ck_assert_ptr_nonnull(map_get(map_get(docs->element[1], "subcommands"), "client|setname"));
	freeReplyObject(docs);
	redisFree(c);
}
END_TEST

/* An argument of COMMAND DOCS written back as redis-cli writes its hint. */
static void render_arg(const redisReply *a, char *out, size_t cap)
{
	const redisReply *type = map_get(a, "type"), *token = map_get(a, "token");
	const redisReply *flags = map_get(a, "flags"), *args = map_get(a, "arguments");
	bool optional = false, multiple = false;
	char value[256] = "", body[320];

	for (size_t i = 0; flags && i < flags->elements; i++) {
		optional |= strcmp(flags->element[i]->str, "optional") == 0;
		multiple |= strcmp(flags->element[i]->str, "multiple") == 0;
	}
	if (strcmp(type->str, "oneof") == 0 || strcmp(type->str, "block") == 0) {
		bool oneof = type->str[0] == 'o';
		for (size_t i = 0; i < args->elements; i++) {
			char part[256] = "";
			size_t n = strlen(value);
			render_arg(args->element[i], part, sizeof part);
			snprintf(value + n, sizeof value - n, "%s%s", i ? (oneof ? "|" : " ") : "",
			         part);
		}
	} else if (strcmp(type->str, "pure-token") != 0) {
		snprintf(value, sizeof value, "%s", map_get(a, "name")->str);
	}
	snprintf(body, sizeof body, "%s%s%s", token ? token->str : "", token && value[0] ? " " : "",
	         value);
	if (multiple && optional)
		snprintf(out, cap, "[%s ...]", body);
	else if (multiple)
		snprintf(out, cap, "%s [%s ...]", body, body);
	else
		snprintf(out, cap, optional ? "[%s]" : "%s", body);
}

/* "ticket.move" or "client|setname" and its docs: `TICKET.MOVE id state ...` must be in doc. */
static void expect_documented(const char *doc, const char *name, const redisReply *docs)
{
	const redisReply *args = map_get(docs, "arguments"), *subs = map_get(docs, "subcommands");
	char usage[1024], *p;
	size_t n;

	for (size_t i = 0; subs && i + 1 < subs->elements; i += 2)
		expect_documented(doc, subs->element[i]->str, subs->element[i + 1]);
	if (subs && strcmp(name, "client") == 0)
		return; /* CLIENT alone is no command */
	n = (size_t)snprintf(usage, sizeof usage, "`%s", name);
	for (p = usage; *p; p++)
		*p = *p == '|' ? ' ' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	for (size_t i = 0; args && i < args->elements; i++) {
		usage[n++] = ' ';
		render_arg(args->element[i], usage + n, sizeof usage - n);
		n = strlen(usage);
	}
	snprintf(usage + n, sizeof usage - n, "`");
	ck_assert_msg(strstr(doc, usage) != NULL, "docs/protocol.md does not show %s", usage);
}

/* The usage lines docs/protocol.md gives are those of the table (through COMMAND DOCS). */
START_TEST(test_protocol_md_shows_the_table)
{
	redisContext *c = daemon_connect(&d);
	redisReply *docs = cmd(c, "COMMAND", "DOCS", NULL);
	char path[512], *doc;
	FILE *f;
	long len;

	snprintf(path, sizeof path, "%s/docs/protocol.md", src_dir());
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	doc = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(fread(doc, 1, (size_t)len, f), (size_t)len);
	doc[len] = '\0';
	fclose(f);
	ck_assert_uint_ge(docs->elements, 2 * 30);
	for (size_t i = 0; i + 1 < docs->elements; i += 2)
		expect_documented(doc, docs->element[i]->str, docs->element[i + 1]);
	free(doc);
	freeReplyObject(docs);
	redisFree(c);
}
END_TEST

/* ---- real client libraries -------------------------------------------------------------- */

START_TEST(test_redis_py)
{
	static char out[8192];
	int rc = run(out, sizeof out,
	             "/usr/bin/python3 %s/tests/clients/redis_py.py %d admin-pw 2>&1", src_dir(),
	             d.port);

	ck_assert_msg(rc == 0, "redis_py.py failed (%d):\n%s", rc, out);
	expect_lines(out, "ping True\0"
	                  "opened booked fast_track 1 member 151335488\0"
	                  "member tier gold\0"
	                  "moved received\0"
	                  "got True received PY0001 deadline True\0"
	                  "aborted ResponseError unknown command True\0"
	                  "after abort received\0"
	                  "name py-test\0"
	                  "id True\0"
	                  "done\0");
	/* It authenticated with the password alone: AUTH password, the user default. */
	ck_assert_ptr_nonnull(strstr(daemon_log(&d), "authenticated as default (admin)"));
}
END_TEST

START_TEST(test_node_redis_resp3)
{
	static char out[16384];
	int rc;

	/* The locked node-redis, installed from the registry on first use (gitignored). */
	rc = run(
	        out, sizeof out,
	        "cd %s/tests/clients && { [ -d node_modules/redis ] || npm ci --no-audit --no-fund "
	        "--loglevel=error; } 2>&1",
	        src_dir());
	ck_assert_msg(rc == 0, "npm ci failed (%d):\n%s", rc, out);
	rc = run(out, sizeof out, "cd %s/tests/clients && node node_redis.mjs %d admin-pw 2>&1",
	         src_dir(), d.port);
	ck_assert_msg(rc == 0, "node_redis.mjs failed (%d):\n%s", rc, out);
	expect_lines(out, "ping PONG\0"
	                  "name node-test\0"
	                  "resp true lib true\0"
	                  "map true\0"
	                  "opened booked fast_track 1 member 151335489\0"
	                  "member tier platinum\0"
	                  "moved received\0"
	                  "got true received NODE0001 deadline true\0"
	                  "done\0");
}
END_TEST

/* redis-cli in a terminal shows COMMAND DOCS' arguments as the hint while one types. */
START_TEST(test_redis_cli_hints)
{
	static char out[65536];
	int rc = run(out, sizeof out, "/usr/bin/python3 %s/tests/clients/cli_hints.py %d 2>&1",
	             src_dir(), d.port);

	ck_assert_msg(rc == 0, "cli_hints.py failed (%d):\n%s", rc, out);
	ck_assert_msg(strstr(out, "TICKET.MOVE id state [AT time] [ETA time] [NOTE text]") != NULL,
	              "no hint for TICKET.MOVE in:\n%s", out);
	ck_assert_msg(strstr(out, "summary: Books an item in and replies the new ticket") != NULL,
	              "no help for TICKET.OPEN in:\n%s", out);
}
END_TEST

static Suite *clients_suite(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("clients");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hello_resp2_map_and_errors);
	tcase_add_test(tc, test_auth_with_password_only_is_default);
	tcase_add_test(tc, test_hello_auth_guessing_is_slowed_down);
	tcase_add_test(tc, test_resp3_records_are_maps);
	tcase_add_test(tc, test_multi_exec_one_commit);
	tcase_add_test(tc, test_multi_errors_as_redis);
	tcase_add_test(tc, test_multi_queue_is_bounded);
	tcase_add_test(tc, test_multi_needs_auth);
	tcase_add_test(tc, test_client_commands);
	tcase_add_test(tc, test_command_info_and_docs);
	tcase_add_test(tc, test_protocol_md_shows_the_table);
	tcase_add_test(tc, test_redis_py);
	tcase_add_test(tc, test_node_redis_resp3);
	tcase_add_test(tc, test_redis_cli_hints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run_suite(clients_suite());
}
