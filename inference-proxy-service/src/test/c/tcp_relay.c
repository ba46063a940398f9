/*
 * The relay benchmark's floor (RelayBenchmarkTest, -Dparley.bench.floor=true): the least work any proxy between the
 * benchmark client and the simulator can do. One epoll loop on one thread; each accepted loopback connection gets its
 * own connection to the upstream port, and bytes are copied both ways with read(2) and write(2) as they arrive: no
 * HTTP parsing, no TLS, no authentication, no routing, no metrics, no usage. Whatever CPU and latency it adds per
 * token is what the kernel and two loopback hops cost on this machine; a real proxy's figures are read against it.
 *
 * Usage: tcp_relay <listen port> <upstream port> <seconds to live>   (binds 127.0.0.1 only; exits by itself)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>

#define BUF 65536

struct end {
    int fd;
    struct end *peer;
    char pending[BUF]; /* bytes read from the peer that this end could not take yet */
    size_t len, off;
    int reading_paused; /* the peer's reads wait until pending is written */
    int closed;
};

/* Closed ends are freed after the batch of epoll events that may still name them. */
static struct end *graveyard[2048];
static int buried;

static int ep;

static void set_events(struct end *e) {
    struct epoll_event ev = {0};
    ev.events = (e->reading_paused ? 0 : EPOLLIN) | (e->len > e->off ? EPOLLOUT : 0) | EPOLLRDHUP;
    ev.data.ptr = e;
    epoll_ctl(ep, EPOLL_CTL_MOD, e->fd, &ev);
}

static void add(struct end *e) {
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = e;
    epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev);
}

static void close_pair(struct end *e) {
    struct end *p = e->peer;
    if (e->closed) {
        return;
    }
    e->closed = p->closed = 1;
    epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
    close(e->fd);
    close(p->fd);
    graveyard[buried++] = e;
    graveyard[buried++] = p;
}

static void nodelay_nonblock(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Writes what 'to' still holds; returns -1 on error. */
static int flush_pending(struct end *to) {
    while (to->off < to->len) {
        ssize_t w = write(to->fd, to->pending + to->off, to->len - to->off);
        if (w < 0) {
            return errno == EAGAIN ? 0 : -1;
        }
        to->off += (size_t)w;
    }
    to->off = to->len = 0;
    return 0;
}

/* Reads from 'from' and writes to its peer; returns -1 when the pair is done. */
static int relay(struct end *from) {
    struct end *to = from->peer;
    char buf[BUF];
    ssize_t n = read(from->fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
        return -1;
    }
    if (n < 0) {
        return 0;
    }
    ssize_t w = write(to->fd, buf, (size_t)n);
    if (w < 0 && errno != EAGAIN) {
        return -1;
    }
    if (w < 0) {
        w = 0;
    }
    if (w < n) { /* the receiver is slow: keep the rest, stop reading from 'from' until it is written */
        memcpy(to->pending, buf + w, (size_t)(n - w));
        to->len = (size_t)(n - w);
        to->off = 0;
        from->reading_paused = 1;
        set_events(from);
        set_events(to);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <listen port> <upstream port> <seconds to live>\n", argv[0]);
        return 2;
    }
    int listen_port = atoi(argv[1]), upstream_port = atoi(argv[2]);
    alarm((unsigned)atoi(argv[3])); /* stops by itself */
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)listen_port);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 4096) < 0) {
        perror("listen");
        return 1;
    }
    fcntl(ls, F_SETFL, fcntl(ls, F_GETFL) | O_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event lev = {0};
    lev.events = EPOLLIN;
    lev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
    printf("listening on 127.0.0.1:%d, relaying to 127.0.0.1:%d\n", listen_port, upstream_port);
    fflush(stdout);

    struct sockaddr_in up = addr;
    up.sin_port = htons((unsigned short)upstream_port);
    struct epoll_event events[512];
    for (;;) {
        int n = epoll_wait(ep, events, 512, -1);
        for (int i = 0; i < n; i++) {
            struct end *e = events[i].data.ptr;
            if (e == NULL) { /* accept everything waiting, each with its own upstream connection */
                int c;
                while ((c = accept(ls, NULL, NULL)) >= 0) {
                    int u = socket(AF_INET, SOCK_STREAM, 0);
                    if (connect(u, (struct sockaddr *)&up, sizeof up) < 0) {
                        close(c);
                        close(u);
                        continue;
                    }
                    nodelay_nonblock(c);
                    nodelay_nonblock(u);
                    struct end *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
                    a->fd = c;
                    b->fd = u;
                    a->peer = b;
                    b->peer = a;
                    add(a);
                    add(b);
                }
                continue;
            }
            if (e->closed) {
                continue;
            }
            uint32_t ev = events[i].events;
            if (ev & EPOLLOUT) {
                if (flush_pending(e) < 0) {
                    close_pair(e);
                    continue;
                }
                if (e->len == 0) {
                    e->peer->reading_paused = 0;
                    set_events(e->peer);
                    set_events(e);
                }
            }
            if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !e->reading_paused) {
                if (relay(e) < 0) {
                    close_pair(e);
                }
            }
        }
        while (buried > 0) {
            free(graveyard[--buried]);
        }
    }
}
