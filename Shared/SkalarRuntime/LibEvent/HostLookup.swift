import CLibEvent
import Glibc

/// Why a host name has no addresses: evdns's `getaddrinfo` error, in its words.
package struct HostLookupError: Error, Sendable, CustomStringConvertible {
    package let description: String
}

/// One look-up of a host's addresses with libevent's asynchronous DNS (`evdns_getaddrinfo`, which also
/// reads /etc/hosts), for code that would otherwise call the blocking `getaddrinfo` on a loop.
enum HostLookup {
    /// Calls `completion` on the resolver's loop with `host`'s IPv4 and IPv6 addresses as numeric text,
    /// in the order evdns gives them. A numeric host or an /etc/hosts entry is answered before this
    /// returns.
    static func start(
        _ host: String, resolver: DNSResolver, completion: @escaping (Result<[String], HostLookupError>) -> Void
    ) {
        guard let base = resolver.pointer else {
            completion(.failure(HostLookupError(description: "no DNS resolver (evdns_base_new failed)")))
            return
        }
        // Any socket type: naming SOCK_STREAM here would tie Glibc's socket-type enum to this module in a
        // whole-module (release) build, hiding it from the runtime's files that do not import CLibEvent.
        // The stream and datagram entries of one address are the same address, kept once.
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = EVUTIL_AI_ADDRCONFIG
        let context = Unmanaged.passRetained(LookupCompletion(completion)).toOpaque()
        // A NULL request means the callback already ran (or the look-up could not start and said so).
        _ = evdns_getaddrinfo(base, host, nil, &hints, hostLookupFinished, context)
    }
}

private final class LookupCompletion {
    let completion: (Result<[String], HostLookupError>) -> Void
    init(_ completion: @escaping (Result<[String], HostLookupError>) -> Void) { self.completion = completion }
}

private func hostLookupFinished(
    _ code: Int32, _ list: UnsafeMutablePointer<addrinfo>?, _ argument: UnsafeMutableRawPointer?
) {
    let completion = Unmanaged<LookupCompletion>.fromOpaque(argument!).takeRetainedValue().completion
    guard code == 0 else {
        completion(.failure(HostLookupError(description: String(cString: evutil_gai_strerror(code)))))
        return
    }
    var addresses: [String] = []
    var entry = list
    while let current = entry {
        if let text = numericText(current.pointee.ai_addr), !addresses.contains(text) { addresses.append(text) }
        entry = current.pointee.ai_next
    }
    if let list { evutil_freeaddrinfo(list) }
    completion(addresses.isEmpty ? .failure(HostLookupError(description: "no addresses")) : .success(addresses))
}

private func numericText(_ address: UnsafeMutablePointer<sockaddr>?) -> String? {
    guard let address else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let written: UnsafePointer<CChar>?
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        written = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
            inet_ntop(AF_INET, &v4.pointee.sin_addr, &text, socklen_t(text.count))
        }
    case AF_INET6:
        written = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
            inet_ntop(AF_INET6, &v6.pointee.sin6_addr, &text, socklen_t(text.count))
        }
    default:
        return nil
    }
    return written == nil ? nil : String(nulTerminated: text)
}
