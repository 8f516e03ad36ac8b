import Foundation

/// One recording of a batch whose features could not be computed, and why.
public struct FeatureFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The recording, as messages name it.
    public var source: String
    /// The reason, one line.
    public var reason: String

    public var description: String { reason }
}

extension FrontEnd {
    /// The speech features of many recordings on `threads` workers, in order. An unusable
    /// recording fails the batch, or with `skipBad` becomes a `FeatureFailure` in its place, so
    /// every recording is accounted for.
    public func features(
        of sources: [AudioSource], raw: RawAudioFormat? = nil, threads: Int, skipBad: Bool,
        progress: (@Sendable () -> Void)? = nil
    ) async throws -> [Result<SpeechFeatures, FeatureFailure>] {
        try await parallelMap(count: sources.count, threads: threads) { i -> Result<SpeechFeatures, FeatureFailure> in
            do {
                let f = try features(of: sources[i], raw: raw)
                progress?()
                return .success(f)
            } catch {
                guard skipBad else { throw error }
                progress?()
                return .failure(FeatureFailure(source: sources[i].description, reason: "\(error)"))
            }
        }
    }
}
