import SkalarRuntime

extension ServiceConfiguration {
    /// Settings for a service under test, resolved from the contract's environment variables exactly as a
    /// started service resolves them, so tests never depend on how the configuration is put together.
    /// One event loop, as `TestService` runs; everything not given here at its default.
    public static func testing(
        service: String, version: String = "1.2.3-test", podName: String = "test-pod", maxBodyBytes: Int? = nil
    ) -> ServiceConfiguration {
        var environment = ["APP_VERSION": version, "POD_NAME": podName, "EVENT_LOOPS": "1"]
        if let maxBodyBytes { environment["MAX_BODY_BYTES"] = String(maxBodyBytes) }
        let reader = ConfigurationReader { [environment] name in environment[name] }
        do {
            let settings = CommonSettings(defaultPort: 0, defaultAdminPort: 0)
            return try ServiceConfiguration(
                service: service, settings: settings, values: SettingValues(settings: settings.all, reader: reader))
        } catch {
            preconditionFailure("the test settings were rejected: \(error)")
        }
    }
}
