import Testing

@testable import Frontend

@Suite struct CPUWorkTests {
    /// CPU time this thread spends in `work`.
    private func cpuNanoseconds(of work: CPUWork) -> UInt64 {
        let before = work.threadCPUNanoseconds()
        work.burn()
        return work.threadCPUNanoseconds() - before
    }

    @Test func burnsAtLeastTheConfiguredCPUTime() {
        #expect(cpuNanoseconds(of: CPUWork(perRequest: .milliseconds(25))) >= 25_000_000)
    }
}
