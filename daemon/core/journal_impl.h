/*
 * journal_impl: what journal.c and journal-compact.c share and nothing else:
 * the payload cursor, record framing, the ticket flags and the end of a
 * delta's replay. The public interface is include/journal.h.
 */
#ifndef REPAIRD_JOURNAL_IMPL_H
#define REPAIRD_JOURNAL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "journal.h"

/* A payload being read: every get_ sets bad rather than read past its end. */
struct cursor {
	const unsigned char *p;
	size_t left;
	int bad;
};

static inline void put_u8(struct rbuf *b, uint8_t v)
{
	rbuf_append(b, &v, 1);
}

static inline uint8_t get_u8(struct cursor *c)
{
	if (c->left < 1) {
		c->bad = 1;
		return 0;
	}
	c->left--;
	return *c->p++;
}

/* Start a record: returns the offset of its length field. */
size_t jr_rec_begin(struct rbuf *b, enum jrec_type type);
/* End the record begun at at: its length and CRC. */
void jr_rec_end(struct rbuf *b, size_t at);
uint32_t jr_ticket_flags(const struct ticket *t);
void jr_set_flags(struct ticket *t, uint64_t flags);
uint64_t jr_get_uvar(struct cursor *c);
int64_t jr_get_svar(struct cursor *c);
/* A decoded delta, both kinds: onto its ticket once the whole payload was read well. */
int jr_restore_delta(struct engine *e, const struct cursor *c, const struct ticket *t,
                     uint32_t nhist, const struct hist_image *hist, uint32_t nnew, char *err,
                     size_t errlen);
/* JREC_DELTA_V: see journal_put_delta(). */
int jr_apply_delta_v(struct engine *e, struct cursor *c, char *err, size_t errlen);

#endif
