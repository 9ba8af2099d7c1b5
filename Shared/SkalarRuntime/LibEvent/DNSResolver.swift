import CLibEvent

/// libevent's asynchronous DNS on one base, with the system's name servers and search domains from
/// /etc/resolv.conf, so that resolving a Service name such as `backend-service` never blocks the loop.
final class DNSResolver {
    let pointer: OpaquePointer?
    /// Kept so that the base outlives the resolver, whose sockets are events on it.
    private let base: EventBase

    init(base: EventBase) {
        self.base = base
        pointer = evdns_base_new(base.pointer, EVDNS_BASE_INITIALIZE_NAMESERVERS)
    }

    deinit {
        // Frees the name servers' sockets. A lookup still pending is dropped without its callback: the
        // resolver goes only with its pool, when no call on it is left.
        if let pointer { evdns_base_free(pointer, 0) }
    }
}
