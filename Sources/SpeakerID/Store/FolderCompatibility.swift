/// Why a speaker model cannot be scored beside the others of a models folder: the rule every
/// models folder keeps, checked when models are loaded for scoring (`ModelStore.loadAll`) and
/// before a model joins the folder (`ModelStore.firstIncompatibility`).
public enum ModelMismatch: Equatable, Sendable {
    /// Trained by EM, where the folder is scored with a UBM.
    case trainedByEM
    /// MAP-adapted from a UBM, where the folder is scored without one.
    case adaptedFromUBM
    /// Adapted from another UBM than the one in use (the model's UBM checksum).
    case otherUBM(checksum: String)
    /// Features made another way (`FrontEndOptions.differences`, the model's against the folder's).
    case otherFrontEnd(differences: String)

    /// The first reason `model` cannot be scored with `ubm` (nil: models trained by EM) beside
    /// models whose features were made with `frontEnd` (nil: nothing to compare with yet).
    public static func of(_ model: SpeakerModel, ubm: UBMIdentity?, frontEnd: FrontEndOptions?) -> ModelMismatch? {
        if let ubm {
            guard let ref = model.ubm else { return .trainedByEM }
            if !ref.matches(ubm) { return .otherUBM(checksum: ref.checksum) }
        } else if model.ubm != nil {
            return .adaptedFromUBM
        }
        if let frontEnd, model.frontEnd != frontEnd {
            return .otherFrontEnd(differences: FrontEndOptions.differences(model.frontEnd, frontEnd))
        }
        return nil
    }
}

extension ModelStore {
    /// The first enrolled speaker (in folder order) beside whom a model made with `frontEnd`
    /// and `ubm` could not be scored, and why; nil when there is none (or no folder yet).
    /// Speakers in `replacing` are about to be replaced and do not count; UBM files are skipped.
    public func firstIncompatibility(
        frontEnd: FrontEndOptions, ubm: SpeakerModel?,
        replacing: Set<String>
    ) throws(ModelStoreError) -> (speaker: String, mismatch: ModelMismatch)? {
        guard let paths = try? modelPaths() else { return nil }
        let identity = ubm.map(UBMIdentity.init)  // the UBM's checksum, worked out once for every model
        for p in paths {
            let m = try Self.load(path: p, enrolmentStatistics: false)
            if m.kind == .ubm || replacing.contains(m.speaker) { continue }
            // The folder's model against the new one: the new model's UBM is the one in use.
            if let mismatch = ModelMismatch.of(m, ubm: identity, frontEnd: frontEnd) { return (m.speaker, mismatch) }
        }
        return nil
    }
}
