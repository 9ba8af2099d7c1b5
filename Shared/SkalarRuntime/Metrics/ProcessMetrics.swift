import Glibc

/// The standard `process_*` metrics, read from the kernel at scrape time.
struct ProcessMetrics: Sendable {
    let startTimeSeconds = WallClock.seconds()

    func emit(into buffer: inout [UInt8]) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpuSeconds =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

        var text = ""
        write(
            &text, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
            cpuSeconds)
        write(
            &text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", Double(residentBytes()))
        write(&text, "process_open_fds", "gauge", "Number of open file descriptors.", Double(openFileDescriptors()))
        write(&text, "process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        write(
            &text, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
            startTimeSeconds)
        buffer.append(contentsOf: text.utf8)
    }

    private func write(_ text: inout String, _ name: String, _ type: String, _ help: String, _ value: Double) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }

    private func residentBytes() -> Int {
        guard let statm = FileReading.firstLine(of: "/proc/self/statm") else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private func openFileDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return count - 1  // the descriptor opendir itself holds
    }
}
