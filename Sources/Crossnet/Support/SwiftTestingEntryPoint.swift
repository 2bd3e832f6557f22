import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs Swift Testing tests that are linked into this process, through Swift Testing's JSON ABI
/// entry point (`swt_abiv0_getEntryPoint`, exported by the toolchain's `libTesting.so`; described by
/// Swift Testing's ST-0002). The records it hands back are the same JSON event stream that
/// `swift test --event-stream-output-path … --event-stream-version 0` writes, one record per call.
///
/// This is how `crossnet run` runs the lab suites in its own process: no `swift`, `swift-test` or
/// build step at run time, one SSH session per host shared by every suite.
public enum SwiftTestingEntryPoint {
    /// What to run: the JSON configuration the entry point takes (the fields of Swift Testing's
    /// `__CommandLineArguments_v0`).
    public struct Configuration: Encodable, Sendable {
        /// Regular expressions over test ids; a test runs when one matches.
        public var filter: [String]?
        /// Regular expressions over test ids; a matching test is skipped.
        public var skip: [String]?
        /// Whether independent tests may run concurrently.
        public var parallel: Bool
        /// List the selected tests instead of running them.
        public var listTests: Bool?
        /// Event stream schema version (0: the version Crossnet's reader understands).
        public var eventStreamVersion: Int = 0
        /// Least console chatter Swift Testing allows.
        public var verbosity: Int = -1
        public var quiet: Bool = true

        public init(filter: [String]? = nil, skip: [String]? = nil, parallel: Bool = false, listTests: Bool? = nil) {
            self.filter = filter
            self.skip = skip
            self.parallel = parallel
            self.listTests = listTests
        }
    }

    /// Why the tests could not be started.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    private typealias EntryPoint = @convention(thin) @Sendable (
        UnsafeRawBufferPointer?, @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Bool
    private typealias EntryPointGetter = @convention(c) () -> UnsafeRawPointer

    /// Runs the tests `configuration` selects; `onRecord` gets each JSON record (one line of the
    /// event stream, without the newline) as it is produced.
    ///
    /// - Returns: `true` when every test that ran passed.
    /// - Throws: ``Unavailable`` when Swift Testing is not loaded in this process.
    public static func run(
        _ configuration: Configuration, onRecord: @escaping @Sendable (Data) -> Void
    ) async throws -> Bool {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "swt_abiv0_getEntryPoint") else {
            throw Unavailable(description: "Swift Testing's entry point swt_abiv0_getEntryPoint is not in this process (libTesting.so not loaded): this crossnet binary was built without the suites")
        }
        let entryPoint = unsafeBitCast(unsafeBitCast(symbol, to: EntryPointGetter.self)(), to: EntryPoint.self)
        let json = try JSONEncoder().encode(configuration)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: json.count, alignment: 1)
        defer { buffer.deallocate() }
        json.copyBytes(to: buffer.bindMemory(to: UInt8.self))
        return try await entryPoint(UnsafeRawBufferPointer(buffer)) { record in
            onRecord(Data(record))
        }
    }
}
