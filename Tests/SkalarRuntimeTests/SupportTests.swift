import Testing

@testable import SkalarRuntime

@Suite struct SupportTests {
    @Test func percentDecoding() {
        #expect(PercentDecoding.decode("a%20b") == "a b")
        #expect(PercentDecoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("%zz") == nil)
        #expect(PercentDecoding.decode("%4") == nil)
        #expect(PercentDecoding.decode("%ff") == nil, "invalid UTF-8 is rejected")
    }

    @Test func queryItems() throws {
        let request = Request(method: .get, path: "/x", query: "limit=5&before=%32&flag&q=a+b&limit=6", id: "id")
        #expect(try request.queryItem("limit") == "5", "the first of a repeated name")
        #expect(try request.queryItem("before") == "2")
        #expect(try request.queryItem("flag") == "")
        #expect(try request.queryItem("q") == "a b")
        #expect(try request.queryItem("missing") == nil)
        #expect(try Request(method: .get, path: "/x", id: "id").queryItem("limit") == nil)
    }

    @Test(arguments: ["limit=%ff", "limit=%zz", "limit=%4", "limit=5&x=%c3%28", "%ff=1", "limit=5&a%"])
    func aQueryThatDoesNotDecodeIsRefusedWhicheverItemIsAsked(_ query: String) {
        let request = Request(method: .get, path: "/x", query: query, id: "id")
        #expect(throws: HTTPError.self) { try request.queryItem("other") }
        do {
            _ = try request.queryItem("limit")
            Issue.record("\(query) was read")
        } catch {
            #expect(error.status == .badRequest && error.code == "invalid_query")
            #expect(error.message == "the query string has a name or value that is not percent-encoded UTF-8")
        }
    }

    @Test func aQueryWithTooManyFieldsIsRefused() throws {
        let fields = (1..<URLEncodedForm.maximumFields).map { "p\($0)=1" }.joined(separator: "&")
        #expect(try Request(method: .get, path: "/x", query: fields + "&limit=5", id: "id").queryItem("limit") == "5")
        let over = Request(method: .get, path: "/x", query: fields + "&limit=5&x=1", id: "id")
        do {
            _ = try over.queryItem("limit")
            Issue.record("a query with more than the cap was read")
        } catch {
            #expect(error.code == "invalid_query" && error.message == "the query string has more than 100 fields")
        }
    }

    @Test func formFields() throws {
        let fields = try URLEncodedForm.fields("a=1&&b=x+y%21&c&=v&d=e=f&")
        #expect(fields.map(\.name) == ["a", "b", "c", "", "d"])
        #expect(fields.map(\.value) == ["1", "x y!", "", "v", "e=f"])
        #expect(try URLEncodedForm.fields("").isEmpty)
        #expect(
            try URLEncodedForm.fields(Substring(String(repeating: "&", count: 10_000))).isEmpty,
            "empty pairs cost no field")
        // A combining mark after `&` makes one character of the two, but the pairs are still cut there.
        #expect(try URLEncodedForm.fields("a=1&\u{301}b=2").count == 2)
        #expect(throws: URLEncodedForm.Failure.undecodable) { try URLEncodedForm.fields("a=%e2%80") }
        let many = Substring(String(repeating: "a=b&", count: 100_000))
        #expect(throws: URLEncodedForm.Failure.tooManyFields) { try URLEncodedForm.fields(many) }
    }

    @Test func cgroupQuota() {
        #expect(UsableCPUs.parseCgroupV2CPUMax("max 100000") == nil)
        #expect(UsableCPUs.parseCgroupV2CPUMax("150000 100000") == 1.5)
        #expect(UsableCPUs.parseCgroupV2CPUMax("garbage") == nil)
        #expect(UsableCPUs.parseCPUList("0-3,8,10-11") == 7)
        #expect(UsableCPUs.parseCPUList("0") == 1)
        #expect(UsableCPUs.parseCPUList("3-1") == nil)
    }

    @Test func requestIDs() {
        let generator = RequestIDGenerator()
        let ids = (0..<1000).map { _ in generator.makeID() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(20) {
            let characters = Array(id)
            #expect(characters.count == 36 && characters[14] == "4" && "89ab".contains(characters[19]))
        }
        #expect(HeaderValues.isAcceptableRequestID("abc-123"))
        #expect(!HeaderValues.isAcceptableRequestID(""))
        #expect(!HeaderValues.isAcceptableRequestID("has space"))
        #expect(!HeaderValues.isAcceptableRequestID(String(repeating: "a", count: 129)))
    }

    @Test func acceptEncoding() {
        #expect(HeaderValues.acceptsGzip("gzip, deflate, br"))
        #expect(HeaderValues.acceptsGzip("br;q=1.0, *;q=0.5"))
        #expect(!HeaderValues.acceptsGzip("gzip;q=0"))
        #expect(!HeaderValues.acceptsGzip("identity"))
        #expect(HeaderValues.isCompressible("application/json"))
        #expect(HeaderValues.isCompressible("text/html; charset=utf-8"))
        #expect(!HeaderValues.isCompressible("image/png"))
    }

    @Test func jsonMediaTypes() {
        #expect(HeaderValues.isJSON("application/json"))
        #expect(HeaderValues.isJSON("Application/JSON; charset=utf-8"))
        #expect(HeaderValues.isJSON(" application/problem+json "))
        #expect(!HeaderValues.isJSON("text/plain"))
        #expect(!HeaderValues.isJSON("text/json"))
        #expect(!HeaderValues.isJSON("application/+json"))
        #expect(!HeaderValues.isJSON("application/jsonp"))
        #expect(!HeaderValues.isJSON(""))
        #expect(HeaderValues.mediaType("Text/HTML; charset=utf-8") == "text/html")
    }

    @Test func httpEndpoints() {
        #expect(HTTPEndpoint(url: "http://backend-service") == HTTPEndpoint(host: "backend-service", port: 80))
        #expect(HTTPEndpoint(url: "http://127.0.0.1:8081/") == HTTPEndpoint(host: "127.0.0.1", port: 8081))
        #expect(HTTPEndpoint(url: "http://[::1]:9000") == HTTPEndpoint(host: "::1", port: 9000))
        for bad in ["https://x", "http://", "http://x:0", "http://x:99999", "http://u@x", "http://x/path", "x:80"] {
            #expect(HTTPEndpoint(url: bad) == nil, "\(bad)")
        }
    }

    @Test func faultSettings() throws {
        let parsed = try FaultSettings.parse(
            Array(#"{"errorRate":0.5}"#.utf8), current: FaultSettings(errorRate: 0, delay: .milliseconds(7)))
        #expect(parsed == FaultSettings(errorRate: 0.5, delay: .milliseconds(7)))
        #expect(throws: HTTPError.self) { try FaultSettings.parse(Array(#"{"delayMs":1.5}"#.utf8), current: .none) }
        #expect(throws: HTTPError.self) { try FaultSettings.parse(Array("[]".utf8), current: .none) }
    }

    @Test func configurationReader() throws {
        let reader = ConfigurationReader(environment: { ["PORT": "9000", "FLAG": "yes"][$0] })
        #expect(try reader.integer(nil, "PORT", in: 0...65535, default: 1) == 9000)
        #expect(try reader.integer("9001", "PORT", in: 0...65535, default: 1) == 9001)
        let flag = Setting("FLAG", default: false, .boolean, help: "a yes-or-no setting")
        #expect(try SettingValues(settings: [flag], reader: reader).value(of: flag))
        #expect(throws: ConfigurationError.self) { try reader.integer("x", "PORT", in: 0...65535, default: 1) }
        let error = ConfigurationError(variable: "PORT", value: "x", accepted: "an integer")
        #expect(error.description == #"invalid PORT="x": expected an integer"#)
    }

    @Test func rfc3339Timestamps() {
        #expect(WallClock.rfc3339(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(WallClock.rfc3339(milliseconds: 1_795_711_489_257) == "2026-11-26T16:44:49.257Z")
        #expect(WallClock.rfc3339(milliseconds: 951_782_400_005) == "2000-02-29T00:00:00.005Z")
    }

    @Test func gzipRoundTripIsSmaller() throws {
        let input = Array(String(repeating: "skalar ", count: 500).utf8)
        let compressed = try #require(Gzip.compress(input))
        #expect(compressed.count < input.count / 10)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
    }
}
