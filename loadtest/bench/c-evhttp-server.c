/* Baseline for the /healthz benchmark: the least work libevent's evhttp can do to answer the same
 * body Skalar does, on one event_base, so the ratio shows what Skalar adds on top of evhttp.
 * Usage: c-evhttp-server PORT [contract-headers]   (listens on 127.0.0.1 only)
 * With "contract-headers" it also sends the two headers Skalar's contract puts on every response
 * (X-App-Version and a request id), so the benchmark can tell evhttp's cost for them from Skalar's. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const char body[] = "{\"status\":\"ok\"}";

static int contract_headers;

static void answer(struct evhttp_request *req, void *arg) {
    (void)arg;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    if (contract_headers) {
        evhttp_add_header(headers, "X-App-Version", "dev");
        evhttp_add_header(headers, "X-Request-Id", "6f1c2b7e-4d0a-4c8e-9a51-3b2f0e7d8c41");
    }
    evbuffer_add(evhttp_request_get_output_buffer(req), body, sizeof body - 1);
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [contract-headers]\n", argv[0]);
        return 2;
    }
    contract_headers = argc == 3;
    /* A client closing mid-write (wrk at the end of a run) must not kill the server. */
    signal(SIGPIPE, SIG_IGN);

    struct event_base *base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;
    if (!http || evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%s\n", argv[1]);
        return 1;
    }
    evhttp_set_gencb(http, answer, NULL);
    event_base_dispatch(base);
    return 0;
}
