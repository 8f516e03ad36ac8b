import Foundation
import Testing
@testable import SpeakerID

/// The front end against an independent numpy/scipy implementation (Golden/make_golden.py).
///
/// Tolerance: |swift - reference| <= 1e-4 * max(|reference|, rms of that column). The Swift
/// front end computes in Float (FFTW single precision, float filterbank and DCT), the reference
/// in float64: log mel energies carry relative errors of ~1e-6, which after the DCT and CMN are
/// absolute errors of ~1e-6 of the coefficient's scale. Coefficients that happen to be near
/// zero therefore have to be judged against their column's scale, not their own value.
struct GoldenFrontEndTests {
    struct Case: Decodable {
        var name: String
        var fixture: String
        var options: FrontEndOptions
        var rows: Int
        var columns: Int
        var frames: [Double]
    }

    struct Golden: Decodable { var cases: [Case] }

    static func load() throws -> [Case] {
        let url = try #require(Bundle.module.url(forResource: "Golden/golden", withExtension: "json"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url)).cases
    }

    @Test func everyCaseMatchesTheReference() throws {
        let cases = try Self.load()
        #expect(cases.count >= 7)
        for c in cases {
            let wav = try #require(Bundle.module.path(forResource: "Golden/fixtures/" + (c.fixture as NSString).deletingPathExtension, ofType: "wav"))
            let fe = try FrontEnd(options: c.options)
            let feats = try fe.features(of: .file(wav))
            let m = fe.normalized(feats.frames)
            #expect(m.rows == c.rows, "\(c.name): rows")
            #expect(m.columns == c.columns, "\(c.name): columns")
            guard m.rows == c.rows, m.columns == c.columns else { continue }
            var worst = 0.0
            for col in 0..<c.columns {
                var sq = 0.0
                for r in 0..<c.rows { sq += c.frames[r * c.columns + col] * c.frames[r * c.columns + col] }
                let rms = (sq / Double(c.rows)).squareRoot()
                for r in 0..<c.rows {
                    let ref = c.frames[r * c.columns + col]
                    let err = abs(Double(m[r, col]) - ref) / max(abs(ref), rms, 1e-12)
                    worst = max(worst, err)
                }
            }
            print("golden \(c.name): \(c.rows)x\(c.columns), worst relative error \(worst)")
            #expect(worst <= 1e-4, "\(c.name): worst relative error \(worst)")
        }
    }
}
