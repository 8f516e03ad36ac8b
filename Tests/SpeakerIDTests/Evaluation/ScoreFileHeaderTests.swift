import Testing
@testable import SpeakerID

/// The `#` header of `evaluate --scores` files, read back with a user's own comments in it.
struct ScoreFileHeaderTests {
    static let header = ScoreFileHeader(
        ubmChecksum: "00aa11bb22cc33dd", modelsChecksum: "0123456789abcdef",
        scoreNormalization: .tnorm, tnormCohort: "fedcba9876543210")

    static func lines(_ extra: [String]) -> [String] {
        header.text.split(separator: "\n").map(String.init) + extra + ["file\tseconds", "a.wav\twhole"]
    }

    @Test func itsOwnTextReadsBack() throws {
        #expect(try ScoreFileHeader.parse(Self.lines([]), name: "s.tsv") == Self.header)
    }

    /// A one-word note and prose that starts with a word the header does not use are the
    /// user's comments: read past, never refused, never taken for the system.
    @Test func usersCommentsAreReadPast() throws {
        let parsed = try ScoreFileHeader.parse(
            Self.lines(["# checked", "#", "# note: rerun on 30 November", "# model files from the lab share"]),
            name: "s.tsv")
        #expect(parsed == Self.header)
    }

    /// A header key given twice would let a later line silently change the system a score file
    /// claims; a header key without a value cannot be read. Both are refused, with the line.
    @Test func aRepeatedOrEmptyHeaderKeyIsRefused() throws {
        #expect(throws: ScoreFileError.badLine("s.tsv", line: 6, reason: "the header gives models twice")) {
            try ScoreFileHeader.parse(Self.lines(["# models 1111111111111111"]), name: "s.tsv")
        }
        #expect(throws: ScoreFileError.badLine("s.tsv", line: 6, reason: "the header's znorm_cohort line has no value")) {
            try ScoreFileHeader.parse(Self.lines(["# znorm_cohort"]), name: "s.tsv")
        }
        // Without the first line it is not SpeakerID's header at all: a user's own file.
        #expect(try ScoreFileHeader.parse(["# models 1", "file\tseconds"], name: "s.tsv") == nil)
    }
}
