/*
 * ha-rebuild: a standby loads the snapshot from Redis (its layout:
 * ha-snapshot.c) into a new engine: the hash, then one chunk per command,
 * each with a check that the hash still names the same snapshot (replaced
 * mid-read, the rebuild starts over), applied through a carry buffer for the
 * record that runs into the next chunk. A reply is at most a chunk, memory a
 * chunk and a record; the old engine serves reads until the new one is whole.
 */
#include "ha_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "journal.h"
#include "journal_file.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

static struct ha *ha_of(const redisAsyncContext *ac)
{
	return ac->data ? ((struct hlink *)ac->data)->h : NULL;
}

struct ha_rebuild {
	struct engine *e;
	struct rbuf carry; /* the start of a record that runs into the next chunk */
	char id[48], name[48];
	uint64_t records, chunks, next, applied, bytes;
};

static void rebuild_free(struct ha *h)
{
	struct ha_rebuild *rb = h->snap.rb;

	h->snap.rb_gen++;
	if (rb == NULL)
		return;
	engine_free(rb->e);
	rbuf_free(&rb->carry);
	free(rb);
	h->snap.rb = NULL;
}

void ha_rebuild_abort(struct ha *h)
{
	rebuild_free(h);
	h->rebuild_out = false;
}

/* Apply the whole records of carry + data; keep the rest in carry. 0, or -1 with the reason. */
static int feed(struct ha_rebuild *rb, const char *data, size_t len, char *err, size_t errlen)
{
	const unsigned char *buf = (const unsigned char *)data;
	size_t blen = len, off = 0;
	struct jrec rec;
	enum jnext st;

	if (rb->carry.len > 0) {
		rbuf_append(&rb->carry, data, len);
		buf = (const unsigned char *)rb->carry.data;
		blen = rb->carry.len;
	}
	while ((st = journal_next(buf, blen, &off, &rec)) == JNEXT_OK) {
		if (journal_apply(rb->e, &rec, err, errlen) < 0)
			return -1;
		rb->applied++;
	}
	if (st == JNEXT_CORRUPT) {
		snprintf(err, errlen, "a damaged record in chunk %" PRIu64, rb->next);
		return -1;
	}
	/* JNEXT_TORN or JNEXT_END: what is left is the start of the next record. */
	if (rb->carry.len > 0) {
		memmove(rb->carry.data, rb->carry.data + off, blen - off);
		rb->carry.len = blen - off;
	} else {
		rbuf_append(&rb->carry, data + off, len - off);
	}
	return 0;
}

/* The new engine is whole: it replaces the old one; the local journal is written again. */
static void install(struct ha *h)
{
	struct server *srv = h->srv;
	struct ha_rebuild *rb = h->snap.rb;
	struct engine *old = srv->eng;
	char err[256];

	sid_parse(rb->id, &h->applied);
	engine_restore_finish(rb->e);
	srv->eng = rb->e;
	rb->e = NULL;
	engine_free(old);
	srv->logged_seq = engine_last_seq(srv->eng);
	if (jfile_rewrite(&srv->journal, srv->eng, err, sizeof err) < 0) {
		log_msg(LOG_ERR, "ha: local journal: %s; exiting", err);
		exit(EX_IOERR);
	}
	h->records = rb->records;
	h->have_pos = true;
	h->rebuilds++;
	h->tail_gen++; /* an XREAD still out reads from before the snapshot */
	log_msg(LOG_NOTICE,
	        "ha: loaded the snapshot at %s (%llu tickets, %" PRIu64 " chunks); following the "
	        "stream",
	        rb->id, (unsigned long long)engine_ticket_count(srv->eng), rb->chunks);
	rebuild_free(h);
	h->rebuild_out = false;
	h->bootstrapped = true;
	h->need_rebuild = false;
	ha_tail_next(h);
}

static void on_chunk(redisAsyncContext *ac, void *r, void *privdata);

static void read_chunk(struct ha *h)
{
	struct ha_rebuild *rb = h->snap.rb;
	char ks[160], key[280];
	const char *script = "if redis.call('HGET', KEYS[1], 'name') ~= ARGV[1] then return {0} "
	                     "end return {1, redis.call('GET', KEYS[2])}";
	const char *argv[6] = {"EVAL", script, "2", ks, key, rb->name};

	ha_key(h, "snapshot", ks, sizeof ks);
	ha_key(h, "snapshot:", key, sizeof key);
	snprintf(key + strlen(key), sizeof key - strlen(key), "%s:%" PRIu64, rb->name, rb->next);
	redisAsyncCommandArgv(h->cmd.ac, on_chunk, (void *)(uintptr_t)h->snap.rb_gen, 6, argv,
	                      NULL);
}

static void on_chunk(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;
	struct ha_rebuild *rb;
	char err[256];

	if (h == NULL || reply == NULL || (uint64_t)(uintptr_t)privdata != h->snap.rb_gen ||
	    h->snap.rb == NULL)
		return;
	rb = h->snap.rb;
	if (h->role != HA_STANDBY) {
		ha_rebuild_abort(h);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		log_msg(LOG_ERR, "ha: reading the snapshot: %s",
		        reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		ha_rebuild_abort(h);
		return;
	}
	if (reply->element[0]->integer == 0) {
		log_msg(LOG_NOTICE,
		        "ha: the snapshot at %s was replaced while it was read (chunk %" PRIu64
		        " of %" PRIu64 "); starting over",
		        rb->id, rb->next, rb->chunks);
		h->snap.rb_restarts++;
		ha_rebuild(h);
		return;
	}
	if (reply->elements < 2 || reply->element[1]->type != REDIS_REPLY_STRING) {
		log_msg(LOG_ERR, "ha: chunk %" PRIu64 " of the snapshot at %s is missing", rb->next,
		        rb->id);
		ha_rebuild_abort(h);
		return;
	}
	rb->bytes += reply->element[1]->len;
	if (feed(rb, reply->element[1]->str, reply->element[1]->len, err, sizeof err) < 0) {
		log_msg(LOG_ERR, "ha: the snapshot at %s does not load: %s", rb->id, err);
		ha_rebuild_abort(h);
		return;
	}
	if (++rb->next < rb->chunks) {
		read_chunk(h);
		return;
	}
	if (rb->carry.len > 0) {
		log_msg(LOG_ERR, "ha: the snapshot at %s ends inside a record", rb->id);
		ha_rebuild_abort(h);
		return;
	}
	install(h);
}

static const char *str_of(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING ? r->str : NULL;
}

static void on_meta(redisAsyncContext *ac, void *r, void *privdata)
{
	struct ha *h = ha_of(ac);
	redisReply *reply = r;
	const redisReply *m;
	const char *id, *n, *name, *chunks;
	struct ha_rebuild *rb;
	struct sid pos;

	if (h == NULL || reply == NULL || (uint64_t)(uintptr_t)privdata != h->snap.rb_gen)
		return;
	h->rebuild_out = false;
	if (h->role != HA_STANDBY || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_ARRAY || reply->element[0]->elements != 4)
		return;
	m = reply->element[0];
	id = str_of(m->element[0]);
	n = str_of(m->element[1]);
	name = str_of(m->element[2]);
	chunks = str_of(m->element[3]);
	if (id == NULL) {
		if (reply->element[1]->type == REDIS_REPLY_INTEGER &&
		    reply->element[1]->integer == 0) {
			/*
			 * Redis holds nothing (a first start, or it lost everything and
			 * no leader re-shipped): the local journal is all there is.
			 */
			log_msg(LOG_NOTICE,
			        "ha: Redis holds no journal%s; going on from the local one",
			        h->bootstrapped ? " any more" : " yet");
			h->bootstrapped = true;
			h->need_rebuild = false;
			h->have_pos = false;
			h->applied = (struct sid){0, 0};
		}
		/* Otherwise a leader is about to store its first snapshot: the tick asks again. */
		return;
	}
	if (n == NULL || name == NULL || chunks == NULL || sid_parse(id, &pos) < 0 ||
	    strtoull(chunks, NULL, 10) == 0 || strlen(name) >= sizeof rb->name) {
		log_msg(LOG_ERR,
		        "ha: the snapshot in Redis (%s) names no chunks: not one this "
		        "repaird reads",
		        id);
		return;
	}
	rb = xcalloc(1, sizeof *rb);
	rb->e = engine_new(h->srv->cfg);
	rbuf_init(&rb->carry);
	snprintf(rb->id, sizeof rb->id, "%s", id);
	snprintf(rb->name, sizeof rb->name, "%s", name);
	rb->records = strtoull(n, NULL, 10);
	rb->chunks = strtoull(chunks, NULL, 10);
	h->snap.rb = rb;
	h->rebuild_out = true;
	log_msg(LOG_INFO, "ha: reading the snapshot at %s (%" PRIu64 " chunks)", rb->id,
	        rb->chunks);
	read_chunk(h);
}

void ha_rebuild(struct ha *h)
{
	char ks[160], kj[160];
	const char *script = "return {redis.call('HMGET', KEYS[1], 'id', 'n', 'name', 'chunks'), "
	                     "redis.call('XLEN', KEYS[2])}";
	const char *argv[5] = {"EVAL", script, "2", ks, kj};

	rebuild_free(h);
	ha_key(h, "snapshot", ks, sizeof ks);
	ha_key(h, "journal", kj, sizeof kj);
	h->rebuild_out = true;
	redisAsyncCommandArgv(h->cmd.ac, on_meta, (void *)(uintptr_t)h->snap.rb_gen, 5, argv, NULL);
}
