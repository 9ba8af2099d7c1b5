import Glibc

/// An errno value from a failed system call.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) {
        self.code = code
    }

    public var description: String { String(cString: strerror(code)) }
}
