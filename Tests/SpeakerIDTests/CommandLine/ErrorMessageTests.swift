import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Errors in the user's terms: what is wrong with which of their files, folders or speakers,
/// never a Foundation or libsndfile message.
struct ErrorMessageTests {
    // Outputs are checked before the work, and errors speak of the user's things.
    @Test func outputsCheckedFirstAndErrorsInTheUsersWords() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let existing = f.dir.file("report.txt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: existing))
        let rep = try CLI.run([
            "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--report", existing,
        ])
        #expect(rep.status == 1 && rep.stderr.contains("report.txt: is a file") && !rep.stderr.contains("NSCocoaErrorDomain"), "\(rep.stderr)")
        #expect(rep.stdout.isEmpty, "the evaluation ran before the output was checked")
        let onFile = try CLI.run(["enroll", "--models", f.ubm, "--speaker", "x", f.clip("low", 0)])
        #expect(
            onFile.status == 1 && onFile.stderr.contains("is a file, not a folder") && !onFile.stderr.contains("NSCocoaErrorDomain"),
            "\(onFile.stderr)")
        let alice = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "Low", f.clip("low", 0)])
        #expect(
            alice.status == 1 && alice.stderr.contains("speaker \"Low\" is not enrolled") && alice.stderr.contains("did you mean \"low\"")
                && !alice.stderr.contains("%4C"), "\(alice.stderr)")
        let fifo = f.dir.file("pipe.wav")
        #expect(mkfifo(fifo, 0o644) == 0)
        let p = try CLI.run(["features", fifo])
        #expect(p.status == 1 && p.stderr.contains("named pipe") && !p.stderr.contains("empty"), "\(p.stderr)")
        let dirOut = try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.adapted])
        #expect(dirOut.status == 1 && dirOut.stderr.contains("is a folder"), "\(dirOut.stderr)")
    }

    // Messages that say what is wrong in the user's terms, not what failed inside.
    @Test func unclearMessagesSayWhatIsWrong() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let clip = f.clip("low", 0)
        // A folder where a model file is expected.
        let folderUBM = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.dir.file("corpus"), clip])
        #expect(folderUBM.status == 1 && folderUBM.stderr.contains("is a folder") && !folderUBM.stderr.contains("unreadable"), "\(folderUBM.stderr)")
        try FileManager.default.createDirectory(atPath: f.adapted + "/odd.gmm", withIntermediateDirectories: true)
        let folderModel = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, clip])
        #expect(
            folderModel.status == 1 && folderModel.stderr.contains("odd.gmm") && folderModel.stderr.contains("is a folder"), "\(folderModel.stderr)")
        try FileManager.default.removeItem(atPath: f.adapted + "/odd.gmm")
        // A models folder that does not exist.
        let none = try CLI.run(["identify", "--models", f.dir.file("nosuchdir"), clip])
        #expect(none.status == 1 && none.stderr.contains("no such models folder") && !none.stderr.contains("enrol speakers first"), "\(none.stderr)")
        // A trial list that does not exist, or is a folder.
        let eval = ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all"]
        let noTrials = try CLI.run(eval + ["--trials", f.dir.file("nosuch.txt")])
        #expect(
            noTrials.status == 1 && noTrials.stderr.contains("no such file") && !noTrials.stderr.contains("(cannot be read)"), "\(noTrials.stderr)")
        let dirTrials = try CLI.run(eval + ["--trials", f.dir.file("corpus")])
        #expect(
            dirTrials.status == 1 && dirTrials.stderr.contains("is a folder") && !dirTrials.stderr.contains("(cannot be read)"), "\(dirTrials.stderr)"
        )
        // A WAV whose header gives sample rate 0.
        var wav = try Data(contentsOf: URL(fileURLWithPath: clip))
        wav.replaceSubrange(24..<28, with: Data([0, 0, 0, 0]))
        try wav.write(to: URL(fileURLWithPath: f.dir.file("rate0.wav")))
        let rate0 = try CLI.run(["features", "--summary", f.dir.file("rate0.wav")])
        #expect(
            rate0.status == 1 && rate0.stderr.contains("rate0.wav") && rate0.stderr.contains("no sample rate")
                && !rate0.stderr.contains("SF_INFO"), "\(rate0.stderr)")
        // A protocol with only its header.
        try FileManager.default.createDirectory(atPath: f.dir.file("hdr"), withIntermediateDirectories: true)
        try Data("speaker\tpath\tsplit\n".utf8).write(to: URL(fileURLWithPath: f.dir.file("hdr/protocol.tsv")))
        let hdr = try CLI.run(["enroll", "--models", f.dir.file("hm"), "--corpus", f.dir.file("hdr")])
        #expect(
            hdr.status == 1 && hdr.stderr.contains("the protocol lists no files") && !hdr.stderr.contains("no audio files found"), "\(hdr.stderr)")
        // Front-end differences in the names the JSON and the README use.
        let rate = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--sample-rate", "8000", clip])
        #expect(rate.status != 0 && rate.stderr.contains("framing.sample_rate") && !rate.stderr.contains("sampleRate"), "\(rate.stderr)")
    }
}
