import Glibc
import SkalarTesting
import Testing

@testable import SkalarRuntime

@Suite struct SettingTests {
    private let common = CommonSettings(defaultPort: 8080, defaultAdminPort: 9090)

    private func values(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> SettingValues {
        let reader = ConfigurationReader { environment[$0] }
        let request = CommandLineRequest(arguments: arguments, settings: common.all, reader: reader)
        return try #require(request.servedValues, "\(arguments) asked for \(request), not to serve")
    }

    private func error(_ environment: [String: String]) throws -> String? {
        let values = try values(environment: environment)
        do {
            _ = try ServiceConfiguration(service: "test", settings: common, values: values)
            return nil
        } catch {
            return error.description
        }
    }

    private func reason(_ arguments: [String]) -> String? {
        guard case let .unusable(reason) = CommandLineRequest(arguments: arguments, settings: common.all) else {
            return nil
        }
        return reason
    }

    @Test func flagsComeFromVariables() {
        #expect(common.shutdownTimeout.flag == "--shutdown-timeout-seconds")
        #expect(common.all.map(\.flag).contains("--admin-bind-address"))
    }

    @Test func flagWinsOverTheEnvironmentAndDefaultsFillTheRest() throws {
        let configuration = try ServiceConfiguration(
            service: "test", settings: common,
            values: try values(["--port", "7000", "--drain-seconds=7"], environment: ["PORT": "1", "ADMIN_PORT": "9"]))
        #expect(configuration.port == 7000)
        #expect(configuration.adminPort == 9)
        #expect(configuration.drain == .seconds(7))
        #expect(configuration.shutdownTimeout == .seconds(10))
        #expect(configuration.limits.idleTimeout == .seconds(75))
        #expect(configuration.bindAddress == "0.0.0.0")
    }

    @Test func anEmptyVariableCountsAsUnset() throws {
        #expect(ConfigurationReader { ["PORT": ""][$0] }.raw(nil, "PORT") == nil)
        #expect(try values(environment: ["PORT": ""]).value(of: common.port) == 8080)
    }

    @Test func anEmptyFlagValueCountsAsUnset() throws {
        #expect(ConfigurationReader { _ in nil }.raw("", "APP_VERSION") == nil)
        #expect(try values(["--app-version="]).value(of: common.appVersion) == ServiceConfiguration.compiledVersion)
        #expect(
            try values(["--app-version="], environment: ["APP_VERSION": "2.0"]).value(of: common.appVersion) == "2.0")
        #expect(try values(["--port", ""]).value(of: common.port) == 8080)
    }

    @Test func aRepeatedFlagsLastValueWins() throws {
        #expect(try values(["--port", "1", "--port=2"]).value(of: common.port) == 2)
        #expect(try values(["--port=2", "--port", "1"]).value(of: common.port) == 1)
    }

    @Test func errorLinesNameTheVariableAndWhatItAccepts() throws {
        #expect(try error(["PORT": "http"]) == #"invalid PORT="http": expected an integer from 0 to 65535"#)
        #expect(
            try error(["DRAIN_SECONDS": "soon"]) == #"invalid DRAIN_SECONDS="soon": expected an integer from 0 to 3600"#
        )
        #expect(
            try error(["LOG_LEVEL": "loud"])
                == #"invalid LOG_LEVEL="loud": expected one of trace, debug, info, notice, warning, error, critical"#)
        #expect(try error(["ACCESS_LOG": "maybe"]) == #"invalid ACCESS_LOG="maybe": expected true or false"#)
        #expect(
            try error(["BIND_ADDRESS": "localhost"])
                == #"invalid BIND_ADDRESS="localhost": expected a numeric IPv4 or IPv6 address"#)
        #expect(try error(["EVENT_LOOPS": " 2 "]) == nil, "white space around a number is ignored")
    }

    @Test func durationsKeepTheirUnits() throws {
        let timeout = Setting(
            "TIMEOUT_MS", default: .milliseconds(2000), .integerMilliseconds(in: 1...60_000), help: "a deadline")
        let values = SettingValues(settings: [timeout], reader: ConfigurationReader { ["TIMEOUT_MS": "250"][$0] })
        #expect(try values.value(of: timeout) == .milliseconds(250))
        #expect(timeout.defaultText == "`2000`")
        #expect(common.drain.defaultText == "`5`")
        #expect(throws: ConfigurationError.self) {
            try SettingValues(settings: [timeout], reader: ConfigurationReader { ["TIMEOUT_MS": "0"][$0] })
                .value(of: timeout)
        }
    }

    @Test func aDurationDefaultThatNoTextGivesStopsTheProcessNamingTheSetting() async throws {
        try await withDescriptorsOfItsOwn { try await durationDefaultsStopTheProcess() }
    }

    private func durationDefaultsStopTheProcess() async throws {
        let result = try #require(
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Setting("WAIT_SECONDS", default: .milliseconds(1500), .integerSeconds(in: 0...60), help: "a wait")
            })
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("WAIT_SECONDS"))
        await #expect(processExitsWith: .failure) {
            _ = Setting("WAIT_MS", default: .microseconds(1500), .integerMilliseconds(in: 0...60_000), help: "a wait")
        }
        #expect(
            Setting("WAIT_MS", default: .seconds(2), .integerMilliseconds(in: 0...60_000), help: "a wait").defaultText
                == "`2000`")
    }

    @Test func theHealthcheckAsksThePortTheServiceListensOn() {
        func port(_ environment: [String: String]) -> Int? {
            HealthcheckCommand.port(settings: common, reader: ConfigurationReader { environment[$0] })
        }
        #expect(port(["PORT": "9000 "]) == 9000)
        #expect(port(["PORT": ""]) == 8080)
        #expect(port([:]) == 8080)
        #expect(port(["PORT": "70000"]) == nil, "a port the service refuses is unhealthy")
    }

    @Test func aFixedDefaultIsCheckedLikeAGivenValue() {
        let address = Setting("ADDRESS", default: "nowhere", .ipAddress, help: "an address")
        let values = SettingValues(settings: [address], reader: ConfigurationReader { _ in nil })
        #expect(throws: ConfigurationError.self) { try values.value(of: address) }
    }

    @Test func commandLinesThatCannotBeUsed() {
        #expect(reason(["--no-such-flag"]) == "Unknown option '--no-such-flag'")
        #expect(reason(["--port"]) == "Missing value for '--port'")
        #expect(reason(["extra"]) == "Unexpected argument 'extra'")
        #expect(reason(["--port", "1"]) == nil)
    }

    @Test func anUnknownFlagIsRefused() {
        #expect(reason(["--port", "1", "--no-such-flag=2"]) == "Unknown option '--no-such-flag'")
        #expect(reason(["-p", "1"]) == "Unknown option '-p'", "the first problem is the one reported")
    }

    @Test func aDoubleDashIsAUsageError() throws {
        let line = "Unexpected '--': the command takes options only, no arguments after them"
        #expect(reason(["--"]) == line)
        #expect(reason(["--port", "1", "--", "extra"]) == line)
        #expect(try values(["--pod-name", "--"]).value(of: common.podName) == "--", "a flag's value may be --")
    }

    @Test func helpOptionsAreValuesWhereAFlagsValueStands() throws {
        #expect(try values(["--pod-name", "-h"]).value(of: common.podName) == "-h")
        #expect(try values(["--pod-name", "--help"]).value(of: common.podName) == "--help")
        #expect(try values(["--app-version", "--help-markdown"]).value(of: common.appVersion) == "--help-markdown")
        guard case .help = CommandLineRequest(arguments: ["--pod-name", "-h", "--help"], settings: common.all) else {
            Issue.record("--help after a flag's value did not ask for help")
            return
        }
    }

    @Test func helpWinsOverEverythingElse() {
        guard case .help = CommandLineRequest(arguments: ["--no-such-flag", "-h"], settings: common.all) else {
            Issue.record("-h did not ask for help")
            return
        }
        guard case .helpMarkdown = CommandLineRequest(arguments: ["--help-markdown"], settings: common.all) else {
            Issue.record("--help-markdown did not ask for the table")
            return
        }
    }

    @Test func documentation() {
        let table = SettingsDocumentation.markdownTable(common.all).split(separator: "\n")
        #expect(table.count == common.all.count + 2)
        #expect(
            table[2] == "| `PORT` | `8080` | an integer from 0 to 65535 | main listener; 0 picks a free port (logged) |"
        )
        let help = SettingsDocumentation.help(common.all)
        #expect(help.hasPrefix("  --port <value>, PORT\n      main listener; 0 picks a free port (logged)\n"))
        #expect(!help.contains("`"), "the terminal shows code spans without backticks")
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= SettingsDocumentation.width })
    }

    @Test func exitStatuses() {
        #expect(ServiceOutcome.stopped.exitStatus == 0)
        #expect(ServiceOutcome.shutdownTimedOut.exitStatus == 1)
        #expect(ServiceOutcome.startupFailed.exitStatus == 1)
        #expect(ServiceOutcome.interrupted(signal: SIGTERM).exitStatus == 143)
    }
}

extension CommandLineRequest {
    fileprivate var servedValues: SettingValues? {
        guard case let .serve(values) = self else { return nil }
        return values
    }
}
