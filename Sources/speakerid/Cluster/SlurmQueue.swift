import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The few Slurm client commands the cluster driver needs (sbatch, squeue), run as
/// subprocesses: the driver submits to an existing scheduler and brings no daemon of its own.
struct SlurmQueue {
    let sbatch: String
    let squeue: String

    /// Finds sbatch and squeue on the PATH, or says what is missing.
    init() throws {
        guard let b = Self.which("sbatch"), let q = Self.which("squeue") else {
            throw CLIError(
                "sbatch/squeue not found on the PATH: --engine slurm submits to an existing Slurm cluster (Debian: apt-get install slurm-client, and SLURM_CONF or /etc/slurm/slurm.conf pointing at the cluster)"
            )
        }
        sbatch = b
        squeue = q
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// Runs `tool` with `arguments`; standard output and error, and the exit status.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw CLIError("\(tool): cannot run (\(error.localizedDescription))") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Submits `script` with `options` (`--parsable` added); the job id.
    func submit(_ script: String, options: [String]) throws -> String {
        let r = try Self.run(sbatch, ["--parsable"] + options + [script])
        let id = r.out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let why = r.err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? "exit \(r.status)"
            throw CLIError("sbatch \(script): \(why)")
        }
        return id
    }

    /// The jobs among `ids` (job ids as sbatch gave them; array tasks count under their array's
    /// id) that are still queued or running, with their state and reason ("PENDING
    /// Dependency"); a job absent from the queue has ended.
    func active(_ ids: Set<String>) throws -> [(job: String, state: String, reason: String)] {
        if ids.isEmpty { return [] }
        let r = try Self.run(squeue, ["-h", "-o", "%F %i %T %r"])
        guard r.status == 0 else {
            throw CLIError(
                "squeue: \(r.err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? "exit \(r.status)")")
        }
        return r.out.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard f.count >= 3, ids.contains(f[0]) else { return nil }
            return (f[1], f[2], f.count > 3 ? f[3] : "")
        }
    }
}

/// A string as one word for bash: single-quoted, with embedded single quotes closed and escaped.
func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-:=,+@%".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
