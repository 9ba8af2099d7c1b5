import Synchronization

/// Faults an operator injects through the admin listener into the main listener's non-operational
/// routes: a share of requests that fail with 500, and a delay added before every such request.
public struct FaultSettings: Sendable, Equatable {
    public static let maximumDelayMilliseconds = 10_000

    /// Share of requests answered with an injected 500, from 0.0 to 1.0.
    public var errorRate: Double
    /// Delay before the handler runs, from 0 to 10000 ms.
    public var delay: Duration

    public static let none = FaultSettings(errorRate: 0, delay: .zero)

    public var json: JSONValue {
        ["errorRate": .number(errorRate), "delayMs": .number(Double(delay.wholeMilliseconds))]
    }

    /// Reads `{"errorRate":0.0-1.0,"delayMs":0-10000}`; a missing member keeps its value from `current`.
    public static func parse(_ body: [UInt8], current: FaultSettings) throws(HTTPError) -> FaultSettings {
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw HTTPError.badRequest("body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard case let .object(members) = document else {
            throw HTTPError.badRequest("body must be a JSON object", code: "invalid_json")
        }
        var settings = current
        var problems: [(String, JSONValue)] = []
        for (key, value) in members {
            switch key {
            case "errorRate":
                if let rate = value.numberValue, (0...1).contains(rate) {
                    settings.errorRate = rate
                } else {
                    problems.append((key, .string("must be a number from 0.0 to 1.0")))
                }
            case "delayMs":
                if let delay = value.numberValue, delay == delay.rounded(),
                    (0...Double(maximumDelayMilliseconds)).contains(delay)
                {
                    settings.delay = .milliseconds(Int(delay))
                } else {
                    problems.append((key, .string("must be an integer from 0 to \(maximumDelayMilliseconds)")))
                }
            default:
                problems.append((key, .string("unknown member")))
            }
        }
        guard problems.isEmpty else {
            throw HTTPError(
                .unprocessableContent, code: "validation_failed", message: "invalid fault settings",
                details: [("fields", .object(problems))])
        }
        return settings
    }
}

/// The live fault settings, read on every non-operational request.
public final class FaultInjector: Sendable {
    private let settings = Mutex(FaultSettings.none)

    public init() {}

    public var current: FaultSettings { settings.withLock { $0 } }

    func update(_ new: FaultSettings) { settings.withLock { $0 = new } }
}
