/// The bounds a JSON document must keep to be parsed. Parsing is linear in the input, and these keep
/// what a hostile body can make the parser and its caller hold: the stack (nesting), one object's size
/// (the work of every lookup by name) and the whole tree. The services only ever read small documents
/// (an entry, fault settings, a page of at most 100 entries, about 500 values), so the standard bounds
/// are far above anything they need.
public struct JSONLimits: Sendable, Equatable {
    /// Containers nested deeper than this are rejected, so the recursive parser cannot exhaust the stack.
    public var maximumDepth: Int
    /// An object with more members than this is rejected.
    public var maximumMembersPerObject: Int
    /// A document with more values than this (every object, array, string, number, literal) is rejected.
    public var maximumValues: Int

    public init(maximumDepth: Int, maximumMembersPerObject: Int, maximumValues: Int) {
        self.maximumDepth = maximumDepth
        self.maximumMembersPerObject = maximumMembersPerObject
        self.maximumValues = maximumValues
    }

    /// What every request body and every answer the services read is held to.
    public static let standard = JSONLimits(maximumDepth: 64, maximumMembersPerObject: 1000, maximumValues: 10_000)
}
