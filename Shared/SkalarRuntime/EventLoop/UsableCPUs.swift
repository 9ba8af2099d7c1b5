import Glibc

/// How many CPUs this process may really use: the scheduler affinity mask, capped by a cgroup CPU quota
/// rounded up, as a container in Kubernetes sees its `resources.limits.cpu`.
public enum UsableCPUs {
    public static func count(cgroupRoot: String = "/sys/fs/cgroup") -> Int {
        let affinity = affinityCount() ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard let quota = cgroupQuota(root: cgroupRoot) else { return max(1, affinity) }
        return max(1, min(affinity, Int(quota.rounded(.up))))
    }

    /// The CPU quota in CPUs, or nil when there is none. Reads cgroup v2 `cpu.max`, then v1's cfs files.
    public static func cgroupQuota(root: String) -> Double? {
        if let line = FileReading.firstLine(of: "\(root)/cpu.max") {
            return parseCgroupV2CPUMax(line)
        }
        if let quota = FileReading.firstLine(of: "\(root)/cpu/cpu.cfs_quota_us").flatMap({ Int($0) }),
            let period = FileReading.firstLine(of: "\(root)/cpu/cpu.cfs_period_us").flatMap({ Int($0) })
        {
            return quota > 0 && period > 0 ? Double(quota) / Double(period) : nil
        }
        return nil
    }

    /// Parses cgroup v2's `cpu.max` ("max 100000" or "150000 100000").
    public static func parseCgroupV2CPUMax(_ line: String) -> Double? {
        let fields = line.split(separator: " ")
        guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]),
            quota > 0, period > 0
        else { return nil }
        return Double(quota) / Double(period)
    }

    /// CPUs in this process's affinity mask (`taskset`, a cpuset), from /proc/self/status.
    private static func affinityCount() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix("Cpus_allowed_list:") else { continue }
            return parseCPUList(String(line.dropFirst("Cpus_allowed_list:".count)))
        }
        return nil
    }

    /// Counts the CPUs in a kernel CPU list such as "0-3,8,10-11".
    public static func parseCPUList(_ list: String) -> Int? {
        var count = 0
        for range in list.trimmingWhitespace().split(separator: ",") {
            let bounds = range.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1 where bounds[0] != nil: count += 1
            case 2 where bounds[0] != nil && bounds[1] != nil && bounds[1]! >= bounds[0]!:
                count += bounds[1]! - bounds[0]! + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }
}
