/* The C library headers that libevent's public headers include, included first: libevent's
 * event-config.h defines _GNU_SOURCE, and a glibc header first read after that would define its types
 * (fd_set among them) differently from the copies in Glibc's and zlib's modules, which Clang rejects. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

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
