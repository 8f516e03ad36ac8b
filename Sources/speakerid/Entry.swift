import ArgumentParser
import Foundation
import CKernels
import SpeakerID

@main
enum Entry {
    static func main() async {
        // Feature extraction allocates a few megabytes per file and frees them again. With
        // glibc's defaults each such block is a fresh mmap whose pages are faulted in and
        // zeroed by the kernel, and page faults from several threads serialise on the
        // process's memory map: two threads then ran the front end only 1.6x faster than one.
        // Serving large blocks from the heap and keeping freed memory for reuse brings that to
        // 1.9x (README, Speed).
        spk_tune_malloc()
        Interruption.install()
        // Swift decodes arguments that are not UTF-8 with U+FFFD in place of the bad bytes, so
        // such a path names another file (or a new one): refused here, before anything.
        for i in 1..<Int(CommandLine.argc) {
            guard let arg = CommandLine.unsafeArgv[i], String(validatingCString: arg) == nil else { continue }
            FileHandle.standardError.write(
                Data(
                    "Error: argument \(i) (\(String(cString: arg).debugDescription)) is not valid UTF-8; SpeakerID reads paths and names as UTF-8: rename the file, or run it with a UTF-8 name\n"
                        .utf8))
            SpeakerIDCommand.exit(withError: ExitCode.validationFailure)
        }
        // `--version` also says what computes the products and how fast, measured (0.3 s).
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            print("speakerid \(SpeakerIDVersion.current)\n\(ComputeReport.measure().text)")
            // The default front end's plan (512 points): where its plans come from.
            let fft = FFTPlan.forSize(FrontEndOptions().framing.fftSize, batch: FrontEnd.framesPerTransform).source
            print(
                "fft: \(FFTPlan.libraryVersion); "
                    + (fft == .wisdom
                        ? "plans from SpeakerID's committed FFTW wisdom"
                        : FFTPlan.estimateRequested
                            ? "FFTW_ESTIMATE's plans, as SPEAKERID_FFT_PLAN=estimate asks (the features of SpeakerID before its FFTW wisdom)"
                            : "FFTW_ESTIMATE's plans (this FFTW or CPU cannot use SpeakerID's wisdom, made with \(FFTPlan.wisdomLibrary) on AVX: the front end is slower, and its last bits may differ from other machines')")
            )
            return
        }
        // As `SpeakerIDCommand.main()`, except that an error met once an interruption's
        // cleanup has begun (the command's own temporary file removed under it) is the
        // interruption's: the signal thread reports it and exits 128 + the signal, never
        // "Error: ...", exit 1.
        // The error is turned into its message and exit status and released before the process
        // exits, so nothing the parser allocated is still held at exit (LeakSanitizer).
        var failure: (message: String, status: ExitCode)?
        do {
            var command = try SpeakerIDCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Interruption.waitIfUnderWay()
            failure = (SpeakerIDCommand.fullMessage(for: error), SpeakerIDCommand.exitCode(for: error))
        }
        Interruption.waitIfUnderWay()
        if let (message, status) = failure {
            // As `exit(withError:)`: help and version to standard output, errors to standard error.
            if !message.isEmpty {
                if status.isSuccess { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            SpeakerIDCommand.exit(withError: status.isSuccess ? nil : status)
        }
    }
}
