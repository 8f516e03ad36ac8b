import CSignals
import Foundation
import SpeakerID
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP: remove this process's temporary files (model files being
/// written, frame files being streamed), say what was and was not done, and exit with
/// 128 + the signal number, as shells expect.
enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reporter: (@Sendable () -> String?)?

    /// Takes over the signals; call once at start-up. The C handler only writes the signal's
    /// number to a pipe; a thread of its own (not one of the work pools, which may all be
    /// busy) reads it and cleans up, so an interruption is handled at once however loaded the
    /// machine is.
    static func install() {
        guard spk_signal_pipe_install() == 0 else { return }
        let t = Thread {
            // Every signal, in turn: a command may take the first one (`deferFirstSignal`).
            while true {
                let sig = spk_signal_wait()
                guard sig > 0 else { return }
                handle(sig)
            }
        }
        t.name = "speakerid-signals"
        t.start()
    }

    /// What the running command has done so far, said when it is interrupted.
    static func report(_ r: @escaping @Sendable () -> String?) {
        lock.lock()
        reporter = r
        lock.unlock()
    }

    /// A command that can end cleanly on its own (a stream being tracked) takes the first
    /// signal: `stop` is called instead of exiting, and a second signal exits as usual.
    static func deferFirstSignal(_ stop: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        stopper = stop
        lock.unlock()
    }
    nonisolated(unsafe) private static var stopper: (@Sendable (Int32) -> Void)?

    /// Once an interruption's cleanup has begun, never returns: the signal thread is about to
    /// say so and exit.
    static func waitIfUnderWay() {
        guard TemporaryFiles.cleanupBegun else { return }
        while true { sleep(60) }
    }

    private static func handle(_ sig: Int32) {
        lock.lock()
        let stop = stopper
        stopper = nil
        lock.unlock()
        if let stop {
            stop(sig)
            return
        }
        let removed = TemporaryFiles.removeAll()
        lock.lock()
        let r = reporter
        lock.unlock()
        let name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP"
        var line = "speakerid: interrupted by \(name)"
        if removed > 0 { line += "; removed \(removed) temporary file\(removed == 1 ? "" : "s")" }
        if let said = r?() { line += "; " + said }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        exit(128 + sig)
    }
}
