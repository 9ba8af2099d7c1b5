import Glibc
import SkalarRuntime

/// The servers a connection string names, looked up without blocking the loop.
///
/// Given a host name, libpq looks it up itself with the blocking `getaddrinfo`, inside
/// `PQconnectStartParams`, on the caller's thread: with a slow or failing DNS server that would stop a
/// loop for seconds. So the client looks the names up first with the loop's asynchronous resolver and
/// hands libpq the numeric addresses as `hostaddr`, one entry per address, next to the unchanged `host`
/// entries, which libpq still uses to verify a TLS certificate (`sslmode=verify-full`) and to find the
/// password in the password file. A connection string that gives `hostaddr` itself, or names only
/// socket directories, is passed on as it is.
struct PostgresHostAddresses {
    /// Each `host` entry (from the string, else `PGHOST`) with its port (empty: libpq's default).
    private let servers: [(host: String, port: String)]

    /// Nil when libpq needs no look-up of ours: a `hostaddr` is given, or no host names are.
    init?(_ parameters: [String: String]) {
        guard parameters["hostaddr"] == nil && Self.environment("PGHOSTADDR") == nil else { return nil }
        guard let hostList = parameters["host"] ?? Self.environment("PGHOST") else { return nil }
        let hosts = hostList.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let ports = (parameters["port"] ?? Self.environment("PGPORT") ?? "")
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        servers = hosts.enumerated().map { index, host in
            (host, ports.count == hosts.count ? ports[index] : ports.first ?? "")
        }
        guard servers.contains(where: { Self.isName($0.host) }) else { return nil }
    }

    /// Calls `completion` on `loop` with the libpq keywords that replace the string's `host` and `port`
    /// and add `hostaddr`; a failure only when no name had an address.
    func resolve(on loop: EventLoop, completion: @escaping (Result<[(String, String)], PostgresError>) -> Void) {
        var found: [[String]?] = Array(repeating: nil, count: servers.count)
        var failures: [String] = []
        var pending = servers.count
        var allStarted = false
        func finish() {
            var hosts: [String] = []
            var addresses: [String] = []
            var ports: [String] = []
            for (index, server) in servers.enumerated() {
                for address in found[index] ?? [] {
                    hosts.append(server.host)
                    addresses.append(address)
                    ports.append(server.port)
                }
            }
            guard !hosts.isEmpty else {
                completion(.failure(.unavailable(failures.joined(separator: "; "))))
                return
            }
            var keywords = [("host", hosts.joined(separator: ",")), ("hostaddr", addresses.joined(separator: ","))]
            if ports.contains(where: { !$0.isEmpty }) { keywords.append(("port", ports.joined(separator: ","))) }
            completion(.success(keywords))
        }
        for (index, server) in servers.enumerated() {
            guard Self.isName(server.host) else {
                // A socket directory keeps an empty hostaddr; a numeric address is its own.
                found[index] = [Self.isSocket(server.host) ? "" : server.host]
                pending -= 1
                continue
            }
            loop.lookUpAddresses(of: server.host) { result in
                switch result {
                case let .success(addresses): found[index] = addresses
                case let .failure(error): failures.append("cannot look up \(server.host): \(error)")
                }
                pending -= 1
                if pending == 0 && allStarted { finish() }
            }
        }
        // Look-ups answered at once (/etc/hosts) finished inside the loop above; the last one finishes.
        allStarted = true
        if pending == 0 { finish() }
    }

    private static func isSocket(_ host: String) -> Bool {
        host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@")
    }

    private static func isName(_ host: String) -> Bool {
        guard !isSocket(host) else { return false }
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) != 1 && inet_pton(AF_INET6, host, &v6) != 1
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
