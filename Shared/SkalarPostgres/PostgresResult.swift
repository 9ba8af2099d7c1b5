import CLibPQ

/// The rows of one statement's answer, copied out of libpq (which frees its own copy at once), in text
/// format, and how many rows the statement touched.
public struct PostgresResult: Sendable {
    public let rowCount: Int
    public let columnCount: Int
    /// Row-major; nil is SQL NULL.
    private let values: [String?]
    /// The count in the command tag: rows inserted, updated, deleted or selected.
    public let affectedRows: Int

    init(copying result: OpaquePointer) {
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
                    let length = Int(PQgetlength(result, row, column))
                    values.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
                }
            }
        }
        self.values = values
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The text of a column; nil for NULL.
    public func text(row: Int, column: Int) -> String? {
        precondition(row < rowCount && column < columnCount, "no value at row \(row), column \(column)")
        return values[row * columnCount + column]
    }

    /// A column that holds an integer (`bigint`, `integer`, `count(*)`); nil for NULL.
    public func int64(row: Int, column: Int) -> Int64? {
        text(row: row, column: column).flatMap { Int64($0) }
    }

    /// A column that holds a `boolean`.
    public func bool(row: Int, column: Int) -> Bool {
        text(row: row, column: column) == "t"
    }
}
