/// A webhook's `metadata.cmd` as loadgen's arguments, split the way a user would write them on one line,
/// without a shell: words separated by spaces, with single or double quotes around a word that holds
/// spaces or a character a shell would act on (a URL's `&`). Whatever would make a shell run something
/// else is refused, so that a command never looks as if it did: outside quotes, separators, pipes,
/// redirections, sub-shells and escapes; anywhere, `$` and back-quotes (substitutions even inside
/// double quotes) and control characters.
enum CommandWords {
    static let shellCharacters: Set<Character> = [";", "|", "&", "<", ">", "(", ")", "\\"]
    static let substitutionCharacters: Set<Character> = ["$", "`"]
    static let maximumLength = 4096

    /// The arguments after an optional leading `loadgen`, or why the text is not a loadgen command.
    static func arguments(_ text: String) -> Result<[String], Refusal> {
        guard text.utf8.count <= maximumLength else { return .failure(.tooLong) }
        if let character = text.first(where: { substitutionCharacters.contains($0) || isControl($0) }) {
            return .failure(.shellSyntax(character))
        }
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if shellCharacters.contains(character) {
                return .failure(.shellSyntax(character))
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                (word, inWord) = ("", false)
            } else {
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil else { return .failure(.unclosedQuote) }
        if inWord { words.append(word) }
        if let first = words.first, first == "loadgen" || first.hasSuffix("/loadgen") { words.removeFirst() }
        guard !words.isEmpty else { return .failure(.empty) }
        if let first = words.first, !first.hasPrefix("-"), !first.hasPrefix("http://") {
            return .failure(.otherProgram(first))
        }
        if let option = words.first(where: {
            refusedOptions.contains($0.split(separator: "=").first.map(String.init) ?? $0)
        }) {
            return .failure(.refusedOption(option))
        }
        return .success(words)
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }
    }

    /// Options that would make the server read or write its own files.
    static let refusedOptions: Set<String> = ["--json", "--html", "--mix-file"]

    enum Refusal: Error, Equatable, CustomStringConvertible {
        case tooLong
        case shellSyntax(Character)
        case unclosedQuote
        case empty
        case otherProgram(String)
        case refusedOption(String)

        var description: String {
            switch self {
            case .tooLong: return "metadata.cmd is longer than \(CommandWords.maximumLength) bytes"
            case let .shellSyntax(character):
                let shown = CommandWords.isControl(character) ? "a control character" : "\"\(character)\""
                return "metadata.cmd holds loadgen's arguments only and no shell runs them: \(shown) is refused"
            case .unclosedQuote: return "metadata.cmd has a quote that is never closed"
            case .empty: return "metadata.cmd names no target: give loadgen's arguments, e.g. http://frontend-service"
            case let .otherProgram(word):
                return "metadata.cmd runs loadgen only: \"\(word)\" is neither loadgen, an option nor an http:// target"
            case let .refusedOption(option):
                return "metadata.cmd may not use \(option): a webhook's run reads and writes no file of the server's"
            }
        }
    }
}
