/// Why a model could not be built or trained.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidParameters(String)
    case notEnoughFrames(frames: Int, components: Int)
    case dimensionMismatch(expected: Int, got: Int)
    case componentMismatch(expected: Int, got: Int)
    case nonFiniteLikelihood(String)

    public var description: String {
        switch self {
        case .invalidParameters(let s): return "invalid GMM parameters: \(s)"
        case .notEnoughFrames(let f, let k):
            return "only \(f) speech frames to train \(k) components; enrol more audio or use fewer components"
        case .dimensionMismatch(let e, let g): return "feature dimension \(g) does not match the model's \(e)"
        case .componentMismatch(let e, let g): return "a model of \(g) components cannot be scored or adapted against a UBM of \(e)"
        case .nonFiniteLikelihood(let s): return "likelihood is not finite: \(s)"
        }
    }
}
