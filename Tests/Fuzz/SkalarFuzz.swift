import Glibc
import HTTPTypes
import SkalarRuntime

/// Fuzz targets for the code that reads untrusted input. Built with `-sanitize=fuzzer -DFUZZING`
/// (scripts/fuzz.sh), the binary runs libFuzzer: `FUZZ_TARGET` picks which input reader it drives. Built
/// plainly, it replays the inputs named on its command line, so an input that once crashed stays a test.
enum FuzzTarget: String, CaseIterable {
    case json, router, form, headers, faults, request

    static var current: FuzzTarget {
        guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name)
        else {
            fatalError("set FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
        }
        return target
    }

    func run(_ bytes: [UInt8]) {
        switch self {
        case .json:
            // Whatever parses must serialise to something that parses to the same value.
            if let value = try? JSONValue.parse(bytes) {
                let again = try? JSONValue.parse(value.serializedBytes)
                precondition(again == value, "JSON round trip changed the value")
            }
            // Small limits, so that inputs of a few bytes reach every cap: whatever parses keeps them.
            if let value = try? JSONValue.parse(bytes, limits: fuzzJSONLimits) {
                precondition(value.keeps(fuzzJSONLimits), "accepted a document beyond its limits")
                precondition((try? JSONValue.parse(bytes)) == value, "the limits changed what parses")
            }
        case .router:
            let path = String(decoding: bytes, as: UTF8.self)
            for method in [HTTPRequest.Method.get, .post, .delete] {
                if case let .found(route, parameters) = fuzzRouter.match(method: method, path: path) {
                    precondition(route.pattern.hasPrefix("/"), "matched a route without a pattern")
                    for value in parameters.values { precondition(!value.isEmpty, "empty path parameter") }
                }
            }
        case .form:
            let text = String(decoding: bytes, as: UTF8.self)
            let request = Request(method: .get, path: "/", query: text, id: "fuzz")
            switch Result(catching: { () throws(URLEncodedForm.Failure) in try URLEncodedForm.fields(Substring(text)) })
            {
            case let .success(fields):
                precondition(fields.count <= URLEncodedForm.maximumFields, "accepted more fields than the cap")
                // A few names are enough to check the property; every name would make each input quadratic.
                for field in fields.prefix(4) {
                    precondition(
                        try! request.queryItem(field.name) == fields.first { $0.name == field.name }?.value,
                        "a query item is not the first field of its name")
                }
            case .failure:
                let read = Result(catching: { () throws(HTTPError) in try request.queryItem("limit") })
                if case .success = read { preconditionFailure("a query that does not decode was read") }
            }
            _ = PercentDecoding.decode(text, plusAsSpace: true)
        case .headers:
            let value = String(decoding: bytes, as: UTF8.self)
            _ = HeaderValues.acceptsGzip(value)
            _ = HeaderValues.isCompressible(value)
            _ = HeaderValues.isAcceptableRequestID(value)
            _ = HeaderValues.isJSON(value)
            _ = HTTPEndpoint(url: value)
        case .request:
            fuzzRequest(bytes)
        case .faults:
            if let settings = try? FaultSettings.parse(bytes, current: .none) {
                precondition((0...1).contains(settings.errorRate), "accepted an error rate out of range")
                precondition(
                    settings.delay >= .zero && settings.delay <= .milliseconds(FaultSettings.maximumDelayMilliseconds),
                    "accepted a delay out of range")
            }
        }
    }
}

/// A request stream: its head through the strict parser and, when chunked, its body through the decoder,
/// once whole and once a byte at a time. Both readings must agree, or a request could end in two places.
func fuzzRequest(_ bytes: [UInt8]) {
    let terminator: [UInt8] = Array("\r\n\r\n".utf8)
    guard let end = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(terminator) })
    else { return }
    let parser = RequestHeadParser(maxBodyBytes: 4096, maxFieldCount: ServerLimits.maxHeaderFields)
    guard let head = try? bytes[..<end].withUnsafeBytes({ bytes throws(HTTPError) in try parser.parse(bytes) }) else {
        return
    }
    precondition(!head.path.isEmpty, "a parsed head has a target")
    guard head.framing == .chunked else { return }
    let rest = Array(bytes[(end + 4)...])
    let whole = decodeChunked(rest, pieceSize: rest.count)
    let trickled = decodeChunked(rest, pieceSize: 1)
    precondition(
        whole.body == trickled.body && whole.finished == trickled.finished, "chunked decoding depends on reads")
    precondition((whole.body?.count ?? 0) <= 4096, "decoded past the body limit")
}

private func decodeChunked(_ bytes: [UInt8], pieceSize: Int) -> (body: [UInt8]?, finished: Bool) {
    var decoder = ChunkedBodyDecoder(maxBodyBytes: 4096, maxTrailerBytes: 4096)
    var body: [UInt8] = []
    var pending: [UInt8] = []
    var offset = 0
    while offset < bytes.count, !decoder.isFinished {
        pending += bytes[offset..<min(bytes.count, offset + max(1, pieceSize))]
        offset += max(1, pieceSize)
        do {
            let used = try pending.withUnsafeBytes { input throws(HTTPError) in try decoder.decode(input, into: &body) }
            pending.removeFirst(used)
        } catch {
            return (nil, false)
        }
    }
    return (body, decoder.isFinished)
}

/// Limits small enough for a fuzzer's inputs (at most 4096 bytes in scripts/fuzz.sh) to go past each.
let fuzzJSONLimits = JSONLimits(maximumDepth: 4, maximumMembersPerObject: 3, maximumValues: 12)

extension JSONValue {
    /// Whether this document stays within `limits`: its nesting, every object's size, and its values.
    func keeps(_ limits: JSONLimits) -> Bool {
        var values = 0
        func walk(_ value: JSONValue, depth: Int) -> Bool {
            values += 1
            guard depth < limits.maximumDepth, values <= limits.maximumValues else { return false }
            switch value {
            case let .array(items): return items.allSatisfy { walk($0, depth: depth + 1) }
            case let .object(members):
                return members.count <= limits.maximumMembersPerObject
                    && Set(members.map(\.0)).count == members.count
                    && members.allSatisfy { walk($0.1, depth: depth + 1) }
            default: return true
            }
        }
        return walk(self, depth: 0)
    }
}

/// Routes shaped like the services' own: literals, parameters, and both at one level.
let fuzzRouter: Router = {
    let router = Router()
    for pattern in [
        "/", "/healthz", "/api/v1/entries", "/api/v1/entries/{id}", "/api/v1/entries/latest", "/delay/{ms}",
        "/a/{b}/c/{d}",
    ] {
        router.get(pattern) { _ in Response() }
    }
    router.post("/api/v1/entries") { _ in Response() }
    return router
}()

@main
enum SkalarFuzz {
    static func main() {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
            replay(CommandLine.arguments.dropFirst())
        #endif
    }

    /// Runs each file's bytes through the target once: the regression corpus, without libFuzzer.
    static func replay(_ paths: ArraySlice<String>) {
        let target = FuzzTarget.current
        for path in paths {
            guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while case let count = fread(&buffer, 1, buffer.count, file), count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
            }
            fclose(file)
            target.run(bytes)
        }
        print("replayed \(paths.count) input(s) through \(target.rawValue)")
    }
}

#if FUZZING
    /// The function libFuzzer calls with each input.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        FuzzTarget.current.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    /// libFuzzer's entry point for programs that keep their own `main`; the name is libFuzzer's C symbol.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif
