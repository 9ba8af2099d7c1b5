import Glibc
import HTTPTypes
import SkalarRuntime

extension LoadPlan {
    /// Checks `loadgen`'s options, each falling back to its `LOADGEN_` environment variable, and builds the
    /// run's plan. A bad value throws the one line the command exits 2 with.
    init(options: LoadgenCommand) throws {
        let values = OptionValues()
        let (targets, targetPath) = try Self.targets(options.targets, values)
        let scenarios = try Self.scenarios(options, values, targetPath: targetPath)
        let mode = try Self.mode(options, values)

        let requestLimit = try values.raw(options.requests, "REQUESTS").map { text -> Int in
            guard let value = Int(text), value > 0 else {
                throw LoadgenError.usage("invalid --requests \"\(text)\": expected a whole number above 0")
            }
            return value
        }
        var duration = try values.duration(options.duration, "DURATION")
        if duration == nil && requestLimit == nil { duration = .seconds(30) }

        let headers = try Self.headers(options, values)
        let gates = try Self.gates(options, values)

        self.init(
            targets: targets, scenarios: scenarios, mode: mode,
            connections: try values.reader.integer(
                options.connections, "LOADGEN_CONNECTIONS", in: 1...10_000, default: 10),
            duration: duration, requestLimit: requestLimit,
            timeout: try values.duration(options.timeout, "TIMEOUT") ?? .seconds(10),
            headers: headers, waitReady: try values.duration(options.waitReady, "WAIT_READY"), gates: gates,
            eventLoops: try values.reader.integer(
                options.eventLoops, "LOADGEN_EVENT_LOOPS", in: 1...64, default: UsableCPUs.count()),
            jsonPath: values.raw(options.json, "JSON"), htmlPath: values.raw(options.html, "HTML"))
    }

    /// The targets, and the request path the last of them names (used when no mix is given).
    private static func targets(_ arguments: [String], _ values: OptionValues) throws -> ([Target], path: String?) {
        let targetTexts =
            arguments.isEmpty
            ? (values.reader.raw(nil, "LOADGEN_TARGETS").map { $0.split(separator: " ").map(String.init) } ?? [])
            : arguments
        guard !targetTexts.isEmpty else {
            throw LoadgenError.usage("give at least one target URL (or LOADGEN_TARGETS)")
        }
        var parsedTargets: [Target] = []
        var targetPath: String?
        for text in targetTexts {
            let withoutScheme = text.hasPrefix("http://") ? String(text.dropFirst(7)) : text
            let slash = withoutScheme.firstIndex(of: "/")
            let authority = slash.map { String(withoutScheme[..<$0]) } ?? withoutScheme
            guard let endpoint = HTTPEndpoint(url: "http://" + authority), text.hasPrefix("http://") else {
                throw LoadgenError.usage("invalid target \"\(text)\": expected http://host[:port][/path]")
            }
            if let slash, withoutScheme[slash...] != "/" { targetPath = String(withoutScheme[slash...]) }
            parsedTargets.append(Target(endpoint: endpoint, base: "http://" + authority))
        }
        return (parsedTargets, targetPath)
    }

    /// The mix file, else `--mix`, else a GET of the targets' path, else the page.
    private static func scenarios(_ options: LoadgenCommand, _ values: OptionValues, targetPath: String?) throws
        -> [Scenario]
    {
        if let path = values.raw(options.mixFile, "MIX_FILE") {
            guard let bytes = read(path) else { throw LoadgenError.usage("cannot read the mix file \(path)") }
            return try Scenario.parseMixFile(bytes)
        } else if let text = values.raw(options.mix, "MIX") {
            guard let parsed = Scenario.parseMix(text) else {
                throw LoadgenError.usage(
                    "invalid --mix \"\(text)\": expected names page, list or post with weights, e.g. page=1,list=8")
            }
            return parsed
        } else if let targetPath {
            return [Scenario(name: "GET \(targetPath)", method: .get, path: targetPath, weight: 1, body: .none)]
        } else {
            return [Scenario.named("page", weight: 1)!]
        }
    }

    /// An open loop when a shape or a rate is given, else a closed loop.
    private static func mode(_ options: LoadgenCommand, _ values: OptionValues) throws -> Mode {
        let rateValue = try values.positiveNumber(options.rate, "RATE")
        if let shapeText = values.raw(options.shape, "SHAPE") {
            guard let parsed = LoadShape.parse(shapeText, rate: rateValue) else {
                throw LoadgenError.usage(
                    "invalid --shape \"\(shapeText)\": expected constant[:R], ramp:FROM:TO:TIME, "
                        + "steps:R1,R2,...:TIME or spike:BASE:PEAK:AT:LENGTH"
                )
            }
            return .open(parsed)
        } else if let rateValue {
            guard rateValue > 0 else { throw LoadgenError.usage("--rate must be above 0") }
            return .open(.constant(rate: rateValue))
        } else {
            return .closed
        }
    }

    /// `--header` lines, then `LOADGEN_HEADERS` (one per line), then `--host`.
    private static func headers(_ options: LoadgenCommand, _ values: OptionValues) throws -> HTTPFields {
        var headerFields = HTTPFields()
        for line in options.headers
            + (values.reader.raw(nil, "LOADGEN_HEADERS").map { $0.split(separator: "\n").map(String.init) } ?? [])
        {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let name = HTTPField.Name(parts[0].trimmingWhitespace()) else {
                throw LoadgenError.usage("invalid header \"\(line)\": expected \"Name: value\"")
            }
            headerFields[name] = parts[1].trimmingWhitespace()
        }
        if let hostText = values.raw(options.host, "HOST") { headerFields[.host] = hostText }
        return headerFields
    }

    private static func gates(_ options: LoadgenCommand, _ values: OptionValues) throws -> Gates {
        var gates = Gates()
        if let limit = try values.positiveNumber(options.maxErrorRate, "MAX_ERROR_RATE") {
            guard limit <= 1 else { throw LoadgenError.usage("--max-error-rate is a share from 0 to 1 (0.01 is 1%)") }
            gates.maxErrorRate = limit
            gates.maxErrorRateIsDefault = false
        }
        gates.maxP99 = try values.duration(options.maxP99, "MAX_P99")
        if let text = values.raw(options.expectSplit, "EXPECT_SPLIT") {
            guard let split = Gates.parseSplit(text) else {
                throw LoadgenError.usage(
                    "invalid --expect-split \"\(text)\": expected version=percent pairs adding up to 100, e.g. "
                        + "v1=90,v2=10"
                )
            }
            gates.expectedSplit = split
        }
        gates.splitTolerance = try values.positiveNumber(options.splitTolerance, "SPLIT_TOLERANCE") ?? 3
        if gates.splitTolerance == 0,
            let share = gates.expectedSplit.first(where: { 0 < $0.percent && $0.percent < 100 })
        {
            throw LoadgenError.usage(
                "--split-tolerance 0 is exact, which only shares of 0 and 100 can be (\(share.version) is expected "
                    + "at \(Report.number(share.percent))%): give a tolerance above 0")
        }
        if let text = values.raw(options.maxErrorRateDelta, "MAX_ERROR_RATE_DELTA") {
            guard let comparisons = VersionComparison.parse(text), comparisons.allSatisfy({ $0.limit <= 1 }) else {
                throw LoadgenError.usage(
                    "invalid --max-error-rate-delta \"\(text)\": expected CANARY/STABLE=SHARE with a share above 0 "
                        + "and at most 1, e.g. v2/v1=0.01 (to fail on any error, use --max-error-rate 0)")
            }
            gates.maxErrorRateDelta = comparisons
        }
        if let text = values.raw(options.maxP99Ratio, "MAX_P99_RATIO") {
            guard let comparisons = VersionComparison.parse(text), comparisons.allSatisfy({ $0.limit > 1 }) else {
                throw LoadgenError.usage(
                    "invalid --max-p99-ratio \"\(text)\": expected CANARY/STABLE=RATIO with a ratio above 1, "
                        + "e.g. v2/v1=1.2")
            }
            gates.maxP99Ratio = comparisons
        }
        if let percent = try values.positiveNumber(options.confidence, "CONFIDENCE") {
            guard percent >= 50 && percent < 100 else {
                throw LoadgenError.usage("--confidence is a percentage from 50 to below 100, such as 99.9")
            }
            gates.confidence = ConfidenceLevel(percent: percent)
        }
        if let text = values.raw(options.splitHeader, "SPLIT_HEADER") {
            guard let name = HTTPField.Name(text) else {
                throw LoadgenError.usage("invalid --split-header \"\(text)\": expected a header name")
            }
            // Spelled as the tally spells a version header, whatever the case given.
            gates.splitHeader = (versionHeaders.first { $0 == name } ?? name).rawName
        }
        return gates
    }

    /// The mix file, refused past 1 MiB.
    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > 1 << 20 { return nil }
        }
        return bytes
    }
}

/// An option's value, or its `LOADGEN_<NAME>` environment variable when the option is not given; errors
/// name both.
private struct OptionValues {
    let reader = ConfigurationReader()

    func raw(_ flag: String?, _ name: String) -> String? { reader.raw(flag, "LOADGEN_" + name) }

    func duration(_ flag: String?, _ name: String) throws -> Duration? {
        guard let text = raw(flag, name) else { return nil }
        guard let value = DurationText.seconds(text), value > 0 else {
            throw ConfigurationError(
                variable: "--\(name.lowercased().replacingUnderscores()) (LOADGEN_\(name))", value: text,
                accepted: "a duration such as 250ms, 30s or 5m")
        }
        return .seconds(value)
    }

    func positiveNumber(_ flag: String?, _ name: String) throws -> Double? {
        guard let text = raw(flag, name) else { return nil }
        guard let value = Double(text), value >= 0, value.isFinite else {
            throw ConfigurationError(
                variable: "--\(name.lowercased().replacingUnderscores()) (LOADGEN_\(name))", value: text,
                accepted: "a number of at least 0")
        }
        return value
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
