import Foundation

/// Runs short commands aimed at one container together (the claims' probes).
///
/// A driver's claims are checked at once, so several probes (`ping`, `nslookup`, `nc`) land on the
/// same probe container within milliseconds. Each `docker exec` costs the Engine and runc about a
/// tenth of a second of CPU — on the virtual lab's 2 cores, 120 separate execs were most of a
/// `crossnet run --quick`. Probes asked for within ``window`` of each other on one container go
/// into a single `docker exec … sh -c SCRIPT` that starts each probe in the background with its
/// own output files and exit status, waits for all, and prints them back between markers; each
/// caller gets its own probe's output and status, exactly as a separate exec would have given them
/// (same command, same `timeout`, no standard input). A probe alone in its window runs as a plain
/// exec.
public actor ExecBatcher {
    /// How long the first probe for a container waits for others to join it.
    public static let window: Duration = .milliseconds(25)

    private struct Pending {
        var command: [String]
        var timeLimit: Int
        var continuation: CheckedContinuation<CommandOutput, any Error>
    }

    private struct Target: Hashable {
        var host: String
        var container: String
    }

    private let fleet: HostFleet
    private var pending: [Target: [Pending]] = [:]

    public init(fleet: HostFleet) {
        self.fleet = fleet
    }

    /// Runs `command` in `container` on `host` (with any other probes asked for at the same time)
    /// and returns its output. `timeLimit` is the command's own `timeout` in seconds: the exec's
    /// deadline is the batch's longest limit plus 20 s.
    public func run(host: String, container: String, command: [String], timeLimit: Int) async throws -> CommandOutput {
        let target = Target(host: host, container: container)
        return try await withCheckedThrowingContinuation { continuation in
            let first = pending[target] == nil
            pending[target, default: []].append(Pending(command: command, timeLimit: timeLimit, continuation: continuation))
            if first {
                // A child of the caller's context: the batch's exec keeps its transcript scope
                // (the driver's claims), which task-local values carry.
                Task {
                    try? await Task.sleep(for: Self.window)
                    await self.flush(target)
                }
            }
        }
    }

    private func flush(_ target: Target) async {
        guard let batch = pending.removeValue(forKey: target) else { return }
        let limit = batch.map(\.timeLimit).max() ?? 10
        let engine = fleet.engine(target.host)
        let timeout = Duration.seconds(limit + 20)
        // The exec runs in its own task so that other containers' batches are not held up; an
        // unstructured task keeps the transcript scope.
        Task {
            if batch.count == 1 {
                do {
                    batch[0].continuation.resume(returning: try await engine.exec(target.container, batch[0].command, timeout: timeout))
                } catch {
                    batch[0].continuation.resume(throwing: error)
                }
                return
            }
            let marker = "@@crossnet-probe-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            do {
                let output = try await engine.exec(
                    target.container, ["sh", "-c", Self.script(batch.map(\.command), marker: marker)], timeout: timeout)
                let results = Self.parse(output.stdout, count: batch.count, marker: marker)
                for (index, item) in batch.enumerated() {
                    if let result = results[index] {
                        item.continuation.resume(returning: CommandOutput(
                            stdout: result.stdout, stderr: result.stderr, exitStatus: result.status, duration: output.duration))
                    } else {
                        let excerpt = String((output.stdoutText + output.stderrText).prefix(300))
                        item.continuation.resume(returning: CommandOutput(
                            stdout: Data(), stderr: Data("the probe batch (exit \(output.exitStatus)) returned no result for this probe: \(excerpt)".utf8),
                            exitStatus: -1, duration: output.duration))
                    }
                }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }

    /// The batch script, on one line (so the transcript keeps one line per step): each command in
    /// the background with its output and status in a private temporary folder, then every result
    /// between `marker` lines (`MARKER i status out` … `MARKER end`, the same for `err`).
    static func script(_ commands: [[String]], marker: String) -> String {
        var script = #"d=$(mktemp -d /tmp/crossnet-probe.XXXXXX) || exit 97; "#
        for (index, command) in commands.enumerated() {
            let quoted = command.map(shellQuote).joined(separator: " ")
            script += #"( \#(quoted) </dev/null >"$d/\#(index).o" 2>"$d/\#(index).e"; echo $? >"$d/\#(index).s" ) & "#
        }
        script += "wait; for i in \((0..<commands.count).map(String.init).joined(separator: " ")); do "
        script += #"printf '%s %s %s out\n' \#(marker) "$i" "$(cat "$d/$i.s" 2>/dev/null || echo x)"; cat "$d/$i.o" 2>/dev/null; printf '\n%s end\n' \#(marker); "#
        script += #"printf '%s %s err\n' \#(marker) "$i"; cat "$d/$i.e" 2>/dev/null; printf '\n%s end\n' \#(marker); "#
        script += #"done; rm -rf "$d""#
        return script
    }

    /// One probe's result from the batch output.
    struct Result: Equatable {
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    /// Results by index from the batch's standard output; a probe without a complete result
    /// (no status, no `end` marker) is missing.
    static func parse(_ output: Data, count: Int, marker: String) -> [Int: Result] {
        let text = String(decoding: output, as: UTF8.self)
        var results: [Int: Result] = [:]
        var statuses: [Int: Int32] = [:]
        var outs: [Int: Data] = [:]
        var errs: [Int: Data] = [:]
        let end = "\n\(marker) end\n"
        var rest = Substring(text)
        while let headerRange = rest.range(of: marker + " ") {
            rest = rest[headerRange.upperBound...]
            guard let newline = rest.firstIndex(of: "\n") else { break }
            let fields = rest[..<newline].split(separator: " ")
            rest = rest[rest.index(after: newline)...]
            guard let endRange = rest.range(of: end) else { break }
            let body = Data(rest[..<endRange.lowerBound].utf8)
            rest = rest[endRange.upperBound...]
            guard let index = fields.first.flatMap({ Int($0) }), index >= 0, index < count else { continue }
            if fields.last == "out", fields.count == 3 {
                if let status = Int32(fields[1]) { statuses[index] = status }
                outs[index] = body
            } else if fields.last == "err" {
                errs[index] = body
            }
        }
        for index in 0..<count {
            guard let status = statuses[index], let out = outs[index], let err = errs[index] else { continue }
            results[index] = Result(status: status, stdout: out, stderr: err)
        }
        return results
    }
}
