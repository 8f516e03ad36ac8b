import Foundation
import Testing
@testable import SpeakerID

/// The encoder's own e^x against libm's in Double, over the range the LSTM's gates meet and
/// beyond: within 3 Float ulps (relative 4e-7), and clamped where a Float would overflow.
struct FastExpTests {
    @Test func agreesWithLibmToAFewUlps() {
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let exact = Foundation.exp(Double(x))
            let relative = abs(Double(fastExp(x)) - exact) / exact
            worst = max(worst, relative)
            x += 0.0137
        }
        #expect(worst < 4e-7, "worst relative error \(worst)")
        #expect(fastExp(0) == 1)
        #expect(fastExp(-1000) > 0 && fastExp(-1000).isNormal, "clamped, not zero or subnormal")
        #expect(fastExp(1000).isFinite, "clamped, not infinite")
    }
}
