import Glibc
import Logging

/// A swift-log handler that writes one line per event to standard output: a JSON object with `time`,
/// `level`, `message`, `service`, `version` and the metadata (such as `request_id`), or the same as text.
///
/// Each line goes out in a single `write(2)`, so lines from different loops never interleave and reach
/// the container runtime at once, without stdio buffering.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let format: LogFormat
    private let service: String
    private let version: String

    public init(level: Logger.Level, format: LogFormat, service: String, version: String) {
        self.logLevel = level
        self.format = format
        self.service = service
        self.version = version
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // One array of entries, sorted once, instead of merging dictionaries and looking each key up
        // again: an access-log line has eight entries, and hashing them cost more than writing them.
        var entries: [(key: String, value: Logger.Metadata.Value)] = []
        entries.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        if let extra = event.metadata {
            for entry in metadata where extra[entry.key] == nil { entries.append(entry) }
            for entry in extra { entries.append(entry) }
        } else {
            for entry in metadata { entries.append(entry) }
        }
        entries.sort { $0.key < $1.key }
        var line =
            format == .json
            ? jsonLine(level: event.level, message: "\(event.message)", entries: entries)
            : Array(textLine(level: event.level, message: "\(event.message)", entries: entries).utf8)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    private func jsonLine(level: Logger.Level, message: String, entries: [(key: String, value: Logger.Metadata.Value)])
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "{\"time\":\"".utf8)
        out.append(contentsOf: WallClock.rfc3339Milliseconds().utf8)
        out.append(contentsOf: "\",\"level\":\"".utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: "\",\"message\":".utf8)
        JSONValue.writeString(message, into: &out)
        out.append(contentsOf: ",\"service\":".utf8)
        JSONValue.writeString(service, into: &out)
        out.append(contentsOf: ",\"version\":".utf8)
        JSONValue.writeString(version, into: &out)
        for (key, value) in entries {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if case let .string(text) = value {
                JSONValue.writeString(text, into: &out)  // most values; no JSONValue in between
            } else {
                Self.json(value).write(into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private func textLine(level: Logger.Level, message: String, entries: [(key: String, value: Logger.Metadata.Value)])
        -> String
    {
        var out = "\(WallClock.rfc3339Milliseconds()) \(level.rawValue.uppercased()) [\(service)] \(message)"
        for (key, value) in entries { out += " \(key)=\(value)" }
        return out
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case let .string(text): return .string(text)
        case let .stringConvertible(convertible):
            // Casts to concrete types first: a cast to `any BinaryInteger` searches conformances every time.
            if let number = convertible as? Int { return .number(Double(number)) }
            if let number = convertible as? Double { return .number(number) }
            if let number = convertible as? any BinaryInteger { return .number(Double(number)) }
            if let flag = convertible as? Bool { return .bool(flag) }
            return .string(convertible.description)
        case let .array(items): return .array(items.map(json))
        case let .dictionary(members): return .object(members.keys.sorted().map { ($0, json(members[$0]!)) })
        }
    }
}
