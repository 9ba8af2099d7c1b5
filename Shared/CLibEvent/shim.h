#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <event2/dns.h>

/* The TAILQ macros behind evkeyvalq cannot be called from Swift; these walk a header list. */
static inline struct evkeyval *skalar_headers_first(struct evkeyvalq *headers) {
    return headers->tqh_first;
}

static inline struct evkeyval *skalar_headers_next(struct evkeyval *header) {
    return header->next.tqe_next;
}
