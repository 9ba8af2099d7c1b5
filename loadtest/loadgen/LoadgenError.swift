/// A run that cannot start; the command exits 2 with this line.
enum LoadgenError: Error, CustomStringConvertible {
    case usage(String)

    var description: String {
        switch self {
        case let .usage(line): return line
        }
    }
}
