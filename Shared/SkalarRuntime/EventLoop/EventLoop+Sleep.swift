extension EventLoop {
    /// Suspends the calling task for `duration` with a libevent timer on this loop, so the task resumes on
    /// the loop without a trip through Swift's global executor.
    public func sleep(for duration: Duration) async {
        guard duration > .zero else { return }
        guard inEventLoop else {
            await withTaskExecutorPreference(self) { await self.sleep(for: duration) }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            base.after(duration) { continuation.resume() }
        }
    }
}
