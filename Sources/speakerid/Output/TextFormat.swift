import Foundation

/// A number with `digits` decimals, as the text outputs print them.
func fmt(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
