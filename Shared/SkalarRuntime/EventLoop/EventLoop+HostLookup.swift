extension EventLoop {
    /// Looks up `host`'s addresses with this loop's asynchronous DNS resolver (the system's name servers,
    /// search domains and /etc/hosts), never blocking the loop, and calls `completion` on the loop with
    /// them as numeric text; a numeric host or an /etc/hosts entry may be answered before this returns.
    /// For modules outside the runtime that connect with a library of their own (libpq). Call on this
    /// loop.
    package func lookUpAddresses(
        of host: String, completion: @escaping (Result<[String], HostLookupError>) -> Void
    ) {
        let resolver = local(ObjectIdentifier(DNSResolver.self)) { DNSResolver(base: base) }
        HostLookup.start(host, resolver: resolver, completion: completion)
    }
}
