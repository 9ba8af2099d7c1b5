import CLibEvent
import HTTPTypes

/// An evhttp header list (`evkeyvalq`) owned by a request or response.
struct HeaderList {
    let pointer: UnsafeMutablePointer<evkeyvalq>

    /// The fields as swift-http-types values, in order; names that are not valid tokens are skipped.
    func fields() -> HTTPFields {
        var fields = HTTPFields()
        var entry = skalar_headers_first(pointer)
        while let header = entry {
            if let name = HTTPField.Name(String(cString: header.pointee.key)) {
                fields.append(HTTPField(name: name, value: String(cString: header.pointee.value)))
            }
            entry = skalar_headers_next(header)
        }
        return fields
    }

    // withCString lends a native string's own bytes; passing the String as a pointer argument would copy
    // it into a fresh allocation first (callgrind: 4 mallocs per response).
    func add(_ name: String, _ value: String) {
        name.withCString { name in value.withCString { value in _ = evhttp_add_header(pointer, name, value) } }
    }

    func add(_ fields: HTTPFields) {
        for field in fields { add(field.name.rawName, field.value) }
    }
}
