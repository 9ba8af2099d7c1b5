import Glibc
import Testing

@testable import SkalarRuntime

@Suite struct SettingTests {
    private let common = CommonSettings(defaultPort: 8080, defaultAdminPort: 9090)

    private func values(_ arguments: [String] = [], environment: [String: String] = [:]) -> SettingValues {
        let reader = ConfigurationReader { environment[$0] }
        guard case let .serve(values) = CommandLineRequest(arguments: arguments, settings: common.all, reader: reader)
        else { preconditionFailure("\(arguments) did not ask to serve") }
        return values
    }

    private func error(_ environment: [String: String]) -> String? {
        do {
            _ = try ServiceConfiguration(service: "test", settings: common, values: values(environment: environment))
            return nil
        } catch {
            return error.description
        }
    }

    @Test func flagsComeFromVariables() {
        #expect(common.shutdownTimeout.flag == "--shutdown-timeout-seconds")
        #expect(common.all.map(\.flag).contains("--admin-bind-address"))
    }

    @Test func flagWinsOverTheEnvironmentAndDefaultsFillTheRest() throws {
        let configuration = try ServiceConfiguration(
            service: "test", settings: common,
            values: values(["--port", "7000", "--drain-seconds=7"], environment: ["PORT": "1", "ADMIN_PORT": "9"]))
        #expect(configuration.port == 7000)
        #expect(configuration.adminPort == 9)
        #expect(configuration.drain == .seconds(7))
        #expect(configuration.shutdownTimeout == .seconds(10))
        #expect(configuration.limits.idleTimeout == .seconds(75))
        #expect(configuration.bindAddress == "0.0.0.0")
    }

    @Test func anEmptyVariableCountsAsUnset() {
        setenv("SKALAR_SETTING_TESTS_EMPTY", "", 1)
        #expect(ConfigurationReader.processEnvironment("SKALAR_SETTING_TESTS_EMPTY") == nil)
    }

    @Test func errorLinesNameTheVariableAndWhatItAccepts() {
        #expect(error(["PORT": "http"]) == #"invalid PORT="http": expected an integer from 0 to 65535"#)
        #expect(error(["DRAIN_SECONDS": "soon"]) == #"invalid DRAIN_SECONDS="soon": expected an integer from 0 to 3600"#)
        #expect(error(["LOG_LEVEL": "loud"])
            == #"invalid LOG_LEVEL="loud": expected one of trace, debug, info, notice, warning, error, critical"#)
        #expect(error(["ACCESS_LOG": "maybe"]) == #"invalid ACCESS_LOG="maybe": expected true or false"#)
        #expect(error(["BIND_ADDRESS": "localhost"])
            == #"invalid BIND_ADDRESS="localhost": expected a numeric IPv4 or IPv6 address"#)
        #expect(error(["EVENT_LOOPS": " 2 "]) == nil, "white space around a number is ignored")
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

    @Test func aFixedDefaultIsCheckedLikeAGivenValue() {
        let address = Setting("ADDRESS", default: "nowhere", .ipAddress, help: "an address")
        let values = SettingValues(settings: [address], reader: ConfigurationReader { _ in nil })
        #expect(throws: ConfigurationError.self) { try values.value(of: address) }
    }

    @Test func commandLinesThatCannotBeUsed() {
        func reason(_ arguments: [String]) -> String? {
            guard case let .unusable(reason) = CommandLineRequest(arguments: arguments, settings: common.all) else {
                return nil
            }
            return reason
        }
        #expect(reason(["--no-such-flag"]) == "Unknown option '--no-such-flag'")
        #expect(reason(["--port"]) == "Missing value for '--port'")
        #expect(reason(["extra"]) == "Unexpected argument 'extra'")
        #expect(reason(["--port", "1"]) == nil)
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
        #expect(table[2] == "| `PORT` | `8080` | an integer from 0 to 65535 | main listener; 0 picks a free port (logged) |")
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
