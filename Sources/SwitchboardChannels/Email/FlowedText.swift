/// RFC 3676 format=flowed: a line ending in a space continues on the next line of the same quote
/// depth. Joining gives back the paragraphs the sender typed, which matters for classification
/// and display alike. Quote markers of a joined paragraph are kept from its first line.
enum FlowedText {
    static func unflow(_ text: String, deleteSpace: Bool) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var open = false
        var openDepth = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (number, line) in lines.enumerated() {
            var depth = 0
            var content = line[...]
            while content.first == ">" {
                depth += 1
                content = content.dropFirst()
            }
            let prefix = line[line.startIndex..<content.startIndex]
            if content.first == " " { content = content.dropFirst() }  // space-stuffing
            let isSignature = content == "-- "
            let flowed = content.last == " " && !isSignature
            if open && depth == openDepth {
                // continues the paragraph
            } else {
                if open { output.append("\n") }
                if number > 0 && !open { output.append("\n") }
                if depth > 0 { output.append(contentsOf: prefix); output.append(" ") }
            }
            if flowed && deleteSpace {
                output.append(contentsOf: content.dropLast())
            } else {
                output.append(contentsOf: content)
            }
            open = flowed
            openDepth = depth
        }
        return output
    }
}
