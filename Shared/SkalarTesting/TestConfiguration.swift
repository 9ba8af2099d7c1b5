import SkalarRuntime

extension ServiceConfiguration {
    /// Settings for a service under test, resolved from the contract's environment variables exactly as a
    /// started service resolves them, so tests never depend on how the configuration is put together.
    /// One event loop, as `TestService` runs; everything not given here at its default.
    public static func testing(
        service: String, version: String = "1.2.3-test", podName: String = "test-pod", maxBodyBytes: Int? = nil
    ) -> ServiceConfiguration {
        let settings = CommonSettings(defaultPort: 0, defaultAdminPort: 0)
        var environment = [
            settings.appVersion.variable: version, settings.podName.variable: podName,
            settings.eventLoops.variable: "1",
        ]
        if let maxBodyBytes { environment[settings.maxBodyBytes.variable] = String(maxBodyBytes) }
        let reader = ConfigurationReader { [environment] name in environment[name] }
        do {
            return try ServiceConfiguration(
                service: service, settings: settings, values: SettingValues(settings: settings.all, reader: reader))
        } catch {
            preconditionFailure("the test settings were rejected: \(error)")
        }
    }
}
