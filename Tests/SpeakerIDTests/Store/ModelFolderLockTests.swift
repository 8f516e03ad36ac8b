import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Commands that touch one models folder at once. Before `ModelFolderLock`, `enroll --add`
/// of speaker 19 while `speakers rename 19 19b` ran left both `19` (with the new audio) and
/// `19b` (without) in 2 of 6 tries, and lost the added audio in 1.
struct ModelFolderLockTests {

    /// A child process of the tool, started now and waited for later.
    final class Child: @unchecked Sendable {
        let process = Process()
        let out = Pipe(), err = Pipe()
        init(_ args: [String], environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = args
            process.environment = CLI.environment.merging(environment) { $1 }
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }
        func finish() -> CLI.Run {
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLI.Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }
    }

    /// While the folder is locked, a writer waits and changes nothing; once released it
    /// finishes. A writer that waits longer than its limit fails with one line naming the
    /// folder and the holder, and the folder is as it was.
    @Test func aWriterWaitsForTheLockAndGivesUpWithOneLine() throws {
        let (dir, _, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let before = dir.contents
        var lock: ModelFolderLock? = try ModelFolderLock(directory: models, mode: .exclusive)
        let rename = try Child(["speakers", "rename", "--models", models, "low", "deep"])
        Thread.sleep(forTimeInterval: 1.0)
        #expect(rename.process.isRunning, "the rename did not wait for the lock")
        #expect(FileManager.default.fileExists(atPath: PathName.join(models, "low.gmm")))
        let impatient = try Child(["speakers", "remove", "--models", models, "mid"], environment: ["SPEAKERID_LOCK_WAIT": "0.3"]).finish()
        #expect(
            impatient.status == 1 && impatient.stderr.split(separator: "\n").count == 1
                && impatient.stderr.contains(models) && impatient.stderr.contains("in use by another speakerid"), "\(impatient.stderr)")
        #expect(FileManager.default.fileExists(atPath: PathName.join(models, "mid.gmm")), "the refused removal removed")
        let identify = try Child(
            ["identify", "--models", models, "--ubm", dir.file("ubm.gmm"), dir.file("corpus/mid/0.wav")],
            environment: ["SPEAKERID_LOCK_WAIT": "0.3"]
        ).finish()
        #expect(identify.status == 1 && identify.stderr.contains("in use"), "a reader went ahead during a change: \(identify.stderr)")
        lock = nil
        let done = rename.finish()
        #expect(done.status == 0, "\(done.stderr)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: models).filter { $0.hasSuffix(".gmm") }.sorted() == [
                "deep.gmm", "high.gmm", "mid.gmm",
            ])
        #expect(dir.contents == before)
        _ = lock
    }

    /// A shared lock (a reader) lets other readers in and keeps writers out; in one process
    /// the lock is taken once (a command holding it can still list and load its folder).
    @Test func readersShareAndAProcessHoldsItOnce() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let a = try ModelFolderLock(directory: dir.path, mode: .exclusive)
        let b = try ModelFolderLock(directory: dir.path + "/", mode: .shared, wait: .milliseconds(10))  // same folder, same process
        let c = try ModelFolderLock(directory: dir.path + "/.", mode: .exclusive, wait: .milliseconds(10))
        withExtendedLifetime((a, b, c)) {}
        #expect(dir.contents.isEmpty, "the lock left a file: \(dir.contents)")
    }

    /// add, rename, remove, enroll and calibrate started together on one folder, round after
    /// round: every command either finishes or fails with one line, the folder always loads,
    /// nobody is enrolled under two names, and audio added is in the model that holds the
    /// speaker in the end.
    @Test func concurrentCommandsLoseNothing() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let extra = dir.file("extra.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: 777, pitch: 90), sampleRate: 16000, to: extra)
        let scores = dir.file("dev.tsv")
        let e = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--segment-seconds", "1", "--scores", scores, "-q",
        ])
        try #require(e.status == 0, "\(e.stderr)")
        for round in 0..<4 {
            let work = dir.file("round\(round)")
            try FileManager.default.copyItem(atPath: models, toPath: work)
            let children = try [
                Child(["enroll", "--models", work, "--ubm", ubm, "--speaker", "low", "--add", extra, "-q"]),
                Child(["speakers", "rename", "--models", work, "low", "deep"]),
                Child(["speakers", "remove", "--models", work, "high"]),
                Child(["enroll", "--models", work, "--ubm", ubm, "--speaker", "new", dir.file("corpus/mid/2.wav"), "-q"]),
                Child(["calibrate", "--models", work, "--ubm", ubm, "--scores", scores, "--out", dir.file("r\(round).cal"), "-q"]),
            ]
            let runs = children.map { $0.finish() }
            for (i, r) in runs.enumerated() where r.status != 0 {
                #expect(r.stderr.split(separator: "\n").count == 1, "round \(round), command \(i): \(r.stderr)")
            }
            let list = try CLI.run(["speakers", "list", "--models", work, "--json"])
            #expect(list.status == 0, "\(list.stderr)")
            let speakers = list.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let names = speakers.compactMap { $0["speaker"] as? String }
            #expect(!(names.contains("low") && names.contains("deep")), "round \(round): one person enrolled twice: \(names)")
            #expect(names.contains("low") != names.contains("deep"), "round \(round): the speaker was lost: \(names)")
            #expect(runs[1].status == 0 || runs[1].stderr.contains("in use"), "\(runs[1].stderr)")
            if runs[0].status == 0 {
                let files = speakers.first { ["low", "deep"].contains($0["speaker"] as? String ?? "") }?["files"] as? Int
                #expect(files == 4, "round \(round): the added audio is not in the model (\(files ?? -1) files)")
            }
            #expect(runs[2].status == 0 && !names.contains("high"))
            #expect(runs[3].status == 0 && names.contains("new"))
        }
    }
}
