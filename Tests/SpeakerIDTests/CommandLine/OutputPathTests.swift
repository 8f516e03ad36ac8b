import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Every path a user types: one letter, relative or absolute, with a trailing slash. Until
/// `PathName`, an output path of one character that did not exist yet (`enroll --models m`,
/// `track --rttm r`) killed the tool with SIGILL inside swift-corelibs-foundation's
/// `NSString.deletingLastPathComponent`.
struct OutputPathTests {
    /// `PathName` against POSIX dirname/basename and Python's os.path, case by case
    /// (independent reference: the values `python3 -c 'import os.path; ...'` prints).
    @Test func pathNameFollowsPosix() {
        let parents: [(String, String)] = [
            ("", "."), ("a", "."), ("a/", "."), ("a//", "."), (".", "."), ("..", "."), ("/", "/"), ("//", "/"),
            ("/a", "/"), ("/a/", "/"), ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("./a", "."), ("../a", ".."),
            ("/a/b/c", "/a/b"), ("é", "."), ("é/ü", "é"),
        ]
        for (path, parent) in parents { #expect(PathName.parent(of: path) == parent, "parent of \(path.debugDescription)") }
        let lasts: [(String, String)] = [("", ""), ("a", "a"), ("a/", "a"), ("/", "/"), ("/a", "a"), ("a/b/", "b"), (".", "."), ("..", "..")]
        for (path, last) in lasts { #expect(PathName.lastComponent(path) == last, "last component of \(path.debugDescription)") }
        #expect(
            PathName.join("a", "b") == "a/b" && PathName.join("a/", "b") == "a/b" && PathName.join("", "b") == "b"
                && PathName.join("/", "b") == "/b" && PathName.join("a", "/b") == "/b")
        let extensions: [(String, String, String)] = [
            ("a.flac", "flac", "a"), ("x/a.b.wav", "wav", "x/a.b"), (".bashrc", "", ".bashrc"), ("a", "", "a"), ("a.", "", "a."),
            ("..", "", ".."), ("d.x/a", "", "d.x/a"), ("a.wav/", "wav", "a"),
        ]
        for (path, ext, without) in extensions {
            #expect(PathName.pathExtension(path) == ext, "extension of \(path.debugDescription)")
            #expect(PathName.deletingExtension(path) == without, "\(path.debugDescription) without extension")
        }
        #expect(PathName.stem("x/y/3526-0001.flac") == "3526-0001")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(PathName.absolute("/a/./b//c/../d/") == "/a/b/d" && PathName.absolute("/..") == "/" && PathName.absolute("/") == "/")
        #expect(PathName.absolute("m") == PathName.join(cwd, "m") && PathName.absolute(".") == cwd && PathName.absolute("") == cwd)
        #expect(PathName.absolute("a/../b/") == PathName.join(cwd, "b"))
    }

    /// No source file calls Foundation's NSString path API on a user's path again.
    @Test func noNSStringPathCalls() throws {
        let sources = Repository.root.appendingPathComponent("Sources").path
        let banned = [
            "deletingLastPathComponent", "appendingPathComponent(", "lastPathComponent", "deletingPathExtension", "as NSString).pathExtension",
        ]
        var offenders: [String] = []
        let files = try #require(FileManager.default.enumerator(atPath: sources))
        for case let rel as String in files where rel.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + rel, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("///") && banned.contains(where: { line.contains($0) }) {
                offenders.append("\(rel):\(n + 1)")
            }
        }
        #expect(offenders.isEmpty, "NSString/URL path calls on strings: \(offenders)")
    }

    /// The tool run with `cwd` as its working folder.
    static func run(_ args: [String], in cwd: String) throws -> CLI.Run {
        try CLI.runTool(CLI.binary, args, in: cwd)
    }

    /// Every command that writes, with one-letter output names (and a one-letter corpus
    /// folder), given relative to the working folder, relative with a trailing slash where the
    /// output is a folder, and absolute. Each must finish and write its output.
    @Test(arguments: ["relative", "absolute"])
    func everyWritingCommandTakesOneLetterNames(form: String) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        let work = dir.file("w")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: dir.file("corpus"), toPath: dir.file("w/c"))
        let name = { (n: String) in form == "relative" ? n : PathName.join(work, n) }
        let folder = { (n: String) in form == "relative" ? n + "/" : PathName.join(work, n) }
        let clip = name("c/mid/1.wav")
        let steps: [(args: [String], writes: String)] = [
            (["train-ubm", "--corpus", name("c") + ":all", "--components", "4", "--iterations", "2", "--out", name("u"), "-q"], "u"),
            (["init-ubm", "--corpus", name("c") + ":all", "--components", "4", "--out", name("i"), "-q"], "i"),
            (["accumulate", "--model", name("i"), "--corpus", name("c") + ":all", "--out", name("s"), "-q"], "s"),
            (["sum-stats", "--out", name("t"), name("s"), "-q"], "t"),
            (["update", "--model", name("i"), "--stats", name("t"), "--out", name("v")], "v"),
            (["enroll", "--models", folder("m"), "--corpus", name("c"), "--split", "all", "--ubm", name("u"), "-q"], "m/low.gmm"),
            (["enroll", "--models", name("n"), "--ubm", name("u"), "--speaker", "a", clip, "-q"], "n/a.gmm"),
            (["enroll", "--models", name("e"), "--speaker", "a", "--components", "4", clip, "-q"], "e/a.gmm"),
            (["features", "--output", name("q"), clip], "q"),
            (
                [
                    "evaluate", "--models", folder("m"), "--ubm", name("u"), "--corpus", name("c"), "--split", "all", "--segment-seconds", "1",
                    "--report", folder("R"), "--scores", name("S"), "-q",
                ], "R/report.html"
            ),
            (["calibrate", "--models", name("m"), "--ubm", name("u"), "--scores", name("S"), "--out", name("k"), "-q"], "k"),
            (["track", "--models", name("m"), "--ubm", name("u"), "--calibration", name("k"), "--rttm", folder("r"), clip], "r/1.rttm"),
            (["speakers", "rename", "--models", folder("n"), "a", "b"], "n/b.gmm"),
        ]
        for (args, writes) in steps {
            let r = try Self.run(args, in: work)
            #expect(r.status == 0, "\(args.prefix(1)) with \(form) one-letter paths: status \(r.status): \(r.stderr.suffix(400))")
            #expect(FileManager.default.fileExists(atPath: PathName.join(work, writes)), "\(args[0]) did not write \(writes)")
            #expect(!r.stderr.contains("Illegal instruction") && !r.stderr.contains("Fatal error"), "\(args[0]): \(r.stderr.prefix(300))")
        }
    }

    /// Odd strings as paths: each a clear one-line error (or a normal run), never a crash.
    @Test func oddPathsGiveOneLineErrors() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 1), sampleRate: 16000, to: dir.file("x.wav"))
        let long = String(repeating: "n", count: 300)
        // "/" and ".." as an audio or corpus folder are real folders (the whole disk): not run.
        let odd = ["", ".", "..", "/", "./", "a/", "é", String(repeating: "d/", count: 3) + long, "\u{202E}x", " "]
        for path in odd {
            var commands = [
                ["enroll", "--models", path, "--speaker", "z", "--components", "2", dir.file("x.wav")],
                ["identify", "--models", path, dir.file("x.wav")],
                ["features", "--output", path, dir.file("x.wav")],
            ]
            if path != "/" && path != ".." {
                commands += [
                    ["train-ubm", "--corpus", path, "--components", "2", "--out", dir.file("u.gmm")],
                    ["enroll", "--models", dir.file("m"), "--speaker", "z", "--components", "2", path],
                ]
            }
            for args in commands {
                if path == "/" && args[0] == "enroll" { continue }  // root may write there
                let r = try Self.run(args + ["-q"].filter { _ in args[0] != "features" && args[0] != "identify" }, in: dir.path)
                #expect(r.status == 0 || r.status == 1 || r.status == 64, "\(args) gave status \(r.status): \(r.stderr.prefix(300))")
                if r.status != 0 {
                    let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }
                    #expect(lines.count == 1, "\(args): \(r.stderr.prefix(500))")
                }
            }
        }
    }

    // Outputs are checked before the work, in the user's terms (never
    // NSCocoaErrorDomain); an output file's missing folder is refused, not created; a folder
    // output is still made; a failed enrolment leaves no empty models folder.
    @Test func outputsInTheUsersTermsAndNoFolderTreeCreatedSilently() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let file = f.dir.file("existing.html")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let under = try CLI.run(["enroll", "--models", file + "/m", "--speaker", "x", "--components", "4", f.clip("low", 0)])
        #expect(
            under.status == 1 && under.stderr.contains("existing.html is a file, not a folder") && !under.stderr.contains("NSCocoaErrorDomain")
                && !under.stderr.contains("model"), "\(under.stderr)")
        let eval = ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all"]
        let sub = try CLI.run(eval + ["--report", file + "/sub"])
        #expect(
            sub.status == 1 && sub.stderr.contains("cannot write the report") && sub.stderr.contains("existing.html is a file, not a folder")
                && sub.stdout.isEmpty, "\(sub.stderr)")
        if FileManager.default.fileExists(atPath: "/proc/self") {
            let proc = try CLI.run(eval + ["--report", "/proc/x"])
            #expect(
                proc.status == 1 && proc.stdout.isEmpty && proc.stderr.contains("cannot write the report")
                    && !proc.stderr.contains("model") && !proc.stderr.contains("NSCocoaErrorDomain"), "\(proc.stderr)")
        }
        let missing = f.dir.file("nonexistent/dir")
        let scores = try CLI.run(eval + ["--scores", missing + "/s.tsv"])
        #expect(
            scores.status == 1 && scores.stdout.isEmpty && scores.stderr.contains("cannot write the scores file")
                && scores.stderr.contains("does not exist"), "\(scores.stderr)")
        let ubm = try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", missing + "/u.gmm", "-q"])
        #expect(ubm.status == 1 && ubm.stderr.contains("does not exist"), "\(ubm.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("nonexistent")), "a folder tree was created")
        // Folder outputs are still made, parents and all.
        let rep = try CLI.run(eval + ["--report", f.dir.file("reports/today"), "-q"])
        #expect(rep.status == 0 && FileManager.default.fileExists(atPath: f.dir.file("reports/today/report.html")), "\(rep.stderr)")
        let made = try CLI.run(["enroll", "--models", f.dir.file("new/models"), "--speaker", "x", "--components", "4", "-q", f.clip("low", 0)])
        #expect(made.status == 0 && FileManager.default.fileExists(atPath: f.dir.file("new/models/x.gmm")), "\(made.stderr)")
        // A failed corpus enrolment leaves no models folder.
        try FileManager.default.createDirectory(atPath: f.dir.file("silent/a"), withIntermediateDirectories: true)
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: f.dir.file("silent/a/0.wav"))
        let failed = try CLI.run(["enroll", "--models", f.dir.file("fresh"), "--corpus", f.dir.file("silent"), "--split", "all"])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("fresh")), "\(failed.stderr)")
    }
}
