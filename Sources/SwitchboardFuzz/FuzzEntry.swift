import SwitchboardFuzzing

// Built two ways (see docs/fuzzing.md):
//  - `make fuzz`: `--sanitize=fuzzer -Xswiftc -DFUZZING`: libFuzzer brings `main` and calls the
//    entry point below for every input; a broken invariant traps, so libFuzzer keeps the input.
//  - a plain `swift build`: a replayer, `switchboard-fuzz FILE...`, that runs inputs through the
//    same entry points and prints what broke (exit status 1), without the fuzzer.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let report = FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
    if let violation = report.violations.first {
        fatalError("\(report.target.rawValue): \(violation)")
    }
    return 0
}
#else
import Foundation

@main
enum FuzzReplay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: switchboard-fuzz FILE...   (replays fuzz inputs; `make fuzz` builds the fuzzer itself)")
            exit(2)
        }
        var failed = false
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                failed = true
                continue
            }
            let report = FuzzTarget.run(Array(data))
            if report.violations.isEmpty {
                print("\(path): \(report.target.rawValue), \(report.accepted) accepted, invariants hold")
            } else {
                failed = true
                for violation in report.violations { print("\(path): \(report.target.rawValue): \(violation)") }
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif
