import CLibEvent

/// libevent's asynchronous DNS on one base, with the system's name servers and search domains from
/// /etc/resolv.conf, so that resolving a Service name such as `backend-service` never blocks the loop.
final class DNSResolver {
    let pointer: OpaquePointer?

    init(base: EventBase) {
        pointer = evdns_base_new(base.pointer, EVDNS_BASE_INITIALIZE_NAMESERVERS)
    }
}
