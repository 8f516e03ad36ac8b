import Foundation
import Testing
@testable import SpeakerID

/// Enrolled speakers as a user manages them (issue #14): audio added without starting over,
/// and speakers listed, renamed and removed.
struct SpeakerManagementTests {

    /// Adding audio gives the model that enrolling on all of it at once gives, to rounding.
    @Test func addingAudioEqualsEnrollingOnAllOfIt() throws {
        let f = try UBMFixture(enrolAdapted: false)
        defer { f.dir.cleanup() }
        for adapt in ["m", "mwv"] {
            let once = f.dir.file("once-\(adapt)"), twice = f.dir.file("twice-\(adapt)")
            #expect(
                try CLI.run([
                    "enroll", "--models", once, "--ubm", f.ubm, "--adapt", adapt, "--speaker", "low",
                    f.clip("low", 0), f.clip("low", 1), f.clip("low", 2), "-q",
                ]).status == 0)
            #expect(
                try CLI.run(["enroll", "--models", twice, "--ubm", f.ubm, "--adapt", adapt, "--speaker", "low", f.clip("low", 0), "-q"]).status == 0)
            let a = try CLI.run([
                "enroll", "--models", twice, "--ubm", f.ubm, "--speaker", "low", "--add", f.clip("low", 1), f.clip("low", 2), f.clip("low", 0),
            ])
            #expect(a.status == 0 && a.stderr.contains("already in speaker \"low\"'s model; counted once"), "\(a.stderr)")
            let x = try ModelStore(directory: once).load(SpeakerName("low")), y = try ModelStore(directory: twice).load(SpeakerName("low"))
            #expect(x.training.frames == y.training.frames && y.training.files == 3 && y.training.sources?.count == 3)
            for (name, p, q) in [
                ("weights", x.gmm.weights, y.gmm.weights), ("means", x.gmm.means, y.gmm.means), ("variances", x.gmm.variances, y.gmm.variances),
            ] {
                let worst = zip(p, q).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
                #expect(worst < 1e-4, "\(adapt) \(name): relative difference \(worst)")
            }
            // The statistics survive the file: the model read back can take audio again.
            #expect(y.enrolment?.frames == y.training.frames)
        }
        // Models trained by EM cannot take audio exactly: refused, saying what to do.
        #expect(try CLI.run(["enroll", "--models", f.dir.file("em"), "--speaker", "low", "--components", "4", f.clip("low", 0), "-q"]).status == 0)
        let em = try CLI.run(["enroll", "--models", f.dir.file("em"), "--ubm", f.ubm, "--speaker", "low", "--add", f.clip("low", 1)])
        #expect(em.status == 1 && em.stderr.contains("trained by EM"), "\(em.stderr)")
        let none = try CLI.run(["enroll", "--models", f.dir.file("twice-m"), "--ubm", f.ubm, "--speaker", "nobody", "--add", f.clip("low", 1)])
        #expect(none.status == 1 && none.stderr.contains("speaker \"nobody\" is not enrolled"), "\(none.stderr)")
        let noUBM = try CLI.run(["enroll", "--models", f.dir.file("twice-m"), "--speaker", "low", "--add", f.clip("low", 1)])
        #expect(noUBM.status == 64 && noUBM.stderr.contains("--add goes with"))
    }

    @Test func listRenameRemove() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let list = try CLI.run(["speakers", "list", "--models", f.adapted, "--json"])
        let rows = CLI.jsonLines(list.stdout)
        #expect(list.status == 0 && rows.map { $0["speaker"] as? String } == ["high", "low", "mid"], "\(list.stdout)")
        for r in rows {
            #expect(r["kind"] as? String == "map_adapted" && r["can_add_audio"] as? Bool == true && r["files"] as? Int == 3)
            #expect((r["sources"] as? [[String: Any]])?.allSatisfy { ($0["checksum"] as? String)?.count == 16 } == true)
            #expect((r["enrolled_at"] as? String ?? "").hasPrefix("20"))
        }
        let text = try CLI.run(["speakers", "list", "--models", f.adapted, "--files"])
        #expect(text.stdout.contains("low\t") && text.stdout.contains(f.clip("low", 0)), "\(text.stdout)")
        // Rename: the model moves to the new name, which identify then answers.
        let r = try CLI.run(["speakers", "rename", "--models", f.adapted, "low", "Lou"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("adapted/low.gmm")))
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--json", f.clip("low", 1)])
        #expect(CLI.jsonLines(i.stdout).first?["speaker"] as? String == "Lou", "\(i.stdout)")
        let clash = try CLI.run(["speakers", "rename", "--models", f.adapted, "Lou", "mid"])
        #expect(clash.status == 1 && clash.stderr.contains("\"mid\" is already enrolled"), "\(clash.stderr)")
        // Remove: one line per speaker that is not there, the others removed.
        let rm = try CLI.run(["speakers", "remove", "--models", f.adapted, "Lou", "ghost"])
        #expect(rm.status == 1 && rm.stderr.contains("\"ghost\" is not enrolled"), "\(rm.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.adapted).sorted() == ["high.gmm", "mid.gmm"])
    }
}
