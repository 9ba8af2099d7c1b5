/* Sends a fixed number of keep-alive GET /healthz requests, one at a time on one connection, so that
 * a server profiled under callgrind does the same work on every run (wrk's request count depends on
 * timing, and several connections let the server batch a varying number of them per loop pass).
 * Usage: healthz-client PORT COUNT
 * Retries the connection for up to 120 s (a server under valgrind starts slowly); refused attempts never
 * reach the server process, so they cost it nothing. Prints how many requests got a 200, and exits 1
 * unless all of them did. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static int connect_with_retry(int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; attempt < 12000; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        close(fd);
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

/* Reads one response into buf (holding *have bytes already); returns its status code, or -1 when the
 * connection ended or the response is malformed. Bytes after the response stay in buf. */
static int read_response(int fd, char *buf, size_t size, size_t *have) {
    char *end;
    for (;;) {
        buf[*have] = '\0';
        if ((end = strstr(buf, "\r\n\r\n"))) break;
        if (*have + 1 >= size) return -1;
        ssize_t got = read(fd, buf + *have, size - 1 - *have);
        if (got <= 0) return -1;
        *have += (size_t)got;
    }
    int status;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    size_t length = 0;
    for (char *line = strstr(buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Content-Length:", 15) == 0) length = strtoul(line + 15, NULL, 10);
    }
    size_t total = (size_t)(end + 4 - buf) + length;
    if (total >= size) return -1;
    while (*have < total) {
        ssize_t got = read(fd, buf + *have, size - 1 - *have);
        if (got <= 0) return -1;
        *have += (size_t)got;
    }
    memmove(buf, buf + total, *have - total);
    *have -= total;
    return status;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT COUNT\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    long count = atol(argv[2]);
    int fd = connect_with_retry(port);
    if (fd < 0) {
        fprintf(stderr, "healthz-client: cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    static char buf[16384];
    size_t have = 0;
    long ok = 0;
    for (long i = 0; i < count; i++) {
        if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) break;
        int status = read_response(fd, buf, sizeof buf, &have);
        if (status < 0) break;
        if (status == 200) ok++;
    }
    close(fd);
    printf("%ld\n", ok);
    return ok == count ? 0 : 1;
}
