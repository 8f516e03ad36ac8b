import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a models folder or model file cannot be used.
public enum ModelStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case noModels(String)
    /// The models folder does not exist.
    case noFolder(String)
    case notADirectory(String)
    case writeFailed(String, reason: String)
    case readFailed(String, reason: String)
    case incompatible(String, reason: String)
    case nameMismatch(String, stored: String)
    case notEnrolled(String, directory: String, enrolled: [String])
    case alreadyEnrolled(String, directory: String)
    /// The models folder exists but its files cannot be listed.
    case unlistable(String, reason: String)
    /// A model file that is not a valid SpeakerID model (the file error names it).
    case invalidFile(ModelFileError)
    /// A model whose speaker name cannot be stored.
    case invalidName(SpeakerNameError)
    /// Another process kept the models folder locked (`ModelFolderLock`) for longer than a
    /// command waits.
    case busy(String)

    public var description: String {
        switch self {
        case .noFolder(let d): return "\(d): no such models folder (enrol speakers into it first, or check the path)"
        case .noModels(let d): return "\(d): no speaker models (*.gmm) found; enrol speakers first"
        case .notADirectory(let d): return "\(d): is a file, not a folder"
        case .unlistable(let d, let r): return "\(d): the models folder cannot be listed (\(r))"
        case .invalidFile(let e): return e.description
        case .invalidName(let e): return e.description
        case .busy(let d):
            return
                "\(d): the models folder is in use by another speakerid command and stayed locked for \(ModelStore.seconds(ModelFolderLock.defaultWait)) s; try again when it has finished"
        case .writeFailed(let p, let r):
            return p.isEmpty ? "an empty path was given where a file or folder is to be written" : "\(p): cannot be written (\(r))"
        case .readFailed(let p, let r): return "\(p): could not read model (\(r))"
        case .incompatible(let p, let r): return "\(p): \(r)"
        case .nameMismatch(let p, let s): return "\(p): file name does not match the speaker it holds (\(s.debugDescription)); was it renamed?"
        case .alreadyEnrolled(let n, let d): return "\(d): speaker \(n.debugDescription) is already enrolled; remove it first or choose another name"
        case .notEnrolled(let n, let d, let enrolled):
            var s = "\(d): speaker \(n.debugDescription) is not enrolled"
            if let close = enrolled.first(where: { $0.lowercased() == n.lowercased() }) {
                s += " (names are case-sensitive: did you mean \(close.debugDescription)?)"
            } else if enrolled.isEmpty {
                s += " (the folder holds no speaker models)"
            } else {
                let shown = enrolled.prefix(10).map(\.debugDescription).joined(separator: ", ")
                s += " (enrolled: \(shown)\(enrolled.count > 10 ? ", ... \(enrolled.count) in all" : ""))"
            }
            return s
        }
    }
}

/// A directory of speaker models, one file per speaker.
///
/// Writes are atomic: the model goes to a temporary file in the same directory, is flushed
/// with fsync, then renamed over the old one, and the directory is fsynced; a crash leaves
/// either the old model or the new one, never a mix.
public struct ModelStore: Sendable {
    public let directory: String

    /// The store in `directory` (created on the first save).
    public init(directory: String) { self.directory = directory }

    /// Where `name`'s model is stored.
    public func path(for name: SpeakerName) -> String {
        PathName.join(directory, name.fileName)
    }

    /// Saves `model` under its speaker's name, replacing any previous model atomically.
    @discardableResult
    public func save(_ model: SpeakerModel) throws(ModelStoreError) -> String {
        let name: SpeakerName
        do { name = try SpeakerName(model.speaker) } catch { throw .invalidName(error) }
        var m = model
        m.speaker = name.value
        let target = path(for: name)
        // A new speaker may not take a label of unknown speech (one enrolled so before the
        // rule keeps their model, and audio can still be added to it).
        if SpeakerName.isUnknownLabel(name.value), !FileManager.default.fileExists(atPath: target) {
            throw .invalidName(.unknownLabel(name.value))
        }
        let bytes = try Self.encode(m, for: target)
        // The folder is probed only when it has to be made: a folder that exists but takes no
        // files fails in the write itself, with the system's reason (10,000 saves into one
        // folder made 10,000 probe files).
        if !FileSystem.isDirectory(directory) { try prepareDirectory() }
        let lock = try ModelFolderLock(directory: directory, mode: .exclusive)
        try Self.writeFile(bytes, to: target, directory: directory)
        withExtendedLifetime(lock) {}
        return target
    }

    /// The model file's bytes, to be written to `target`.
    static func encode(_ model: SpeakerModel, for target: String) throws(ModelStoreError) -> [UInt8] {
        do { return try ModelFile.encode(model) } catch {
            throw .writeFailed(target, reason: "the model cannot be encoded: \(error)")
        }
    }

    /// Checks the models folder can be written to, creating it (and the folders above it) if
    /// needed: a path that is a file, or a folder that cannot be created or written, is refused
    /// before any work.
    public func prepareDirectory() throws(ModelStoreError) {
        if directory.isEmpty { throw .writeFailed("", reason: "empty path") }
        if FileSystem.exists(directory), !FileSystem.isDirectory(directory) { throw .notADirectory(directory) }
        if let problem = OutputLocation.prepareFolder(directory) { throw .writeFailed(directory, reason: problem) }
    }

    /// As `prepareDirectory()`, but creates nothing: a folder that does not exist yet passes
    /// when it could be created (its nearest existing parent is a folder that can be written).
    public func checkDirectory() throws(ModelStoreError) {
        if directory.isEmpty { throw .writeFailed("", reason: "empty path") }
        if FileSystem.exists(directory), !FileSystem.isDirectory(directory) { throw .notADirectory(directory) }
        if let problem = OutputLocation.folderProblem(directory) { throw .writeFailed(directory, reason: problem) }
    }

    /// `AtomicFile.write`, in the store's terms.
    static func writeFile(_ bytes: [UInt8], to target: String, directory: String) throws(ModelStoreError) {
        do { try AtomicFile.write(bytes, to: target, directory: directory) } catch { throw .writeFailed(error.path, reason: error.reason) }
    }

    /// A wait in seconds for a message ("30", "0.5").
    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }

    /// A system error's reason without Foundation's domain and code.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return SystemErrors.describe(Int32(u.code))
        }
        if ns.domain == NSPOSIXErrorDomain { return SystemErrors.describe(Int32(ns.code)) }
        switch ns.code {
        case NSFileWriteFileExistsError: return "a file of that name exists"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        default: return ns.localizedDescription
        }
    }

    /// The folder's lock (`ModelFolderLock`) when the folder exists; nil when it does not
    /// (the caller's own check then names the missing folder).
    public func lockIfPresent(_ mode: ModelFolderLock.Mode) throws(ModelStoreError) -> ModelFolderLock? {
        guard FileSystem.isDirectory(directory) else { return nil }
        return try ModelFolderLock(directory: directory, mode: mode)
    }

    /// Loads one speaker's model; a speaker without a model is named as the user spelled it,
    /// with the enrolled names (or the case-insensitive match) to choose from.
    public func load(_ name: SpeakerName) throws(ModelStoreError) -> SpeakerModel {
        let p = path(for: name)
        if !FileManager.default.fileExists(atPath: p) {
            guard FileSystem.exists(directory) else { throw .noFolder(directory) }
            guard FileSystem.isDirectory(directory) else { throw .notADirectory(directory) }
            throw .notEnrolled(name.value, directory: directory, enrolled: enrolledNames())
        }
        return try Self.load(path: p)
    }

    /// The speaker names of the model files in the folder, decoded from their file names
    /// (models are not read).
    public func enrolledNames() -> [String] {
        ((try? modelPaths()) ?? []).compactMap { SpeakerName.decode(fileName: PathName.lastComponent($0)) }.sorted()
    }

    /// Reads and verifies one model file; `enrolmentStatistics` false leaves a MAP-adapted
    /// model's sufficient statistics (needed only to add audio) unread.
    public static func load(path: String, enrolmentStatistics: Bool = true) throws(ModelStoreError) -> SpeakerModel {
        if FileSystem.isDirectory(path) {
            throw .readFailed(path, reason: "it is a folder, not a model file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw .readFailed(path, reason: "no such file") }
            let why = SystemErrors.whyUnreadable(path)
            throw .readFailed(path, reason: why)
        }
        do { return try ModelFile.decode([UInt8](data), name: path, enrolmentStatistics: enrolmentStatistics) } catch { throw .invalidFile(error) }
    }

    /// Paths of every model file in the directory, sorted; other files are ignored.
    public func modelPaths() throws(ModelStoreError) -> [String] {
        guard FileSystem.exists(directory) else { throw .noFolder(directory) }
        guard FileSystem.isDirectory(directory) else { throw .notADirectory(directory) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .unlistable(directory, reason: Self.reason(error))
        }
        return names.filter { $0.hasSuffix("." + SpeakerName.fileExtension) && !$0.hasPrefix(".") }
            .sorted().map { PathName.join(directory, $0) }
    }

    /// Writes one model (a UBM, say) to `path` atomically.
    public static func write(_ model: SpeakerModel, to path: String) throws(ModelStoreError) {
        let folder: String
        do { folder = try OutputLocation.prepareFile(path) } catch { throw .writeFailed(error.path, reason: error.reason) }
        if model.kind == .ubm { try refuseReplacingSpeaker(at: path) }
        try writeFile(try encode(model, for: path), to: path, directory: folder)
    }

    /// Refuses to write a background model over an enrolled speaker's model, which would take
    /// that speaker out of their folder without a word (folders skip UBM files): checked before
    /// training (`train-ubm --out`) and again when writing.
    public static func refuseReplacingSpeaker(at path: String) throws(ModelStoreError) {
        guard FileSystem.exists(path), let old = try? load(path: path, enrolmentStatistics: false), old.kind == .speaker else { return }
        throw .writeFailed(path, reason: "it holds speaker \(old.speaker.debugDescription)'s model; give the background model another file name")
    }

    /// Gives `old`'s model the name `new`: the model is written under the new name (atomically),
    /// then the old file is removed. Refuses a new name that is already enrolled.
    @discardableResult
    public func rename(_ old: SpeakerName, to new: SpeakerName) throws(ModelStoreError) -> String {
        let lock = try lockIfPresent(.exclusive)
        defer { withExtendedLifetime(lock) {} }
        if SpeakerName.isUnknownLabel(new.value) { throw .invalidName(.unknownLabel(new.value)) }
        var m = try load(old)
        if old.fileName == new.fileName {
            m.speaker = new.value
            return try save(m)
        }
        if FileManager.default.fileExists(atPath: path(for: new)) {
            throw .alreadyEnrolled(new.value, directory: directory)
        }
        m.speaker = new.value
        let written = try save(m)
        try remove(old)
        return written
    }

    /// Deletes `name`'s model (the folder is synced, so the removal survives a crash).
    public func remove(_ name: SpeakerName) throws(ModelStoreError) {
        let lock = try lockIfPresent(.exclusive)
        defer { withExtendedLifetime(lock) {} }
        _ = try load(name)  // refuses a speaker that is not enrolled, naming the enrolled ones
        guard unlink(path(for: name)) == 0 else {
            throw .writeFailed(path(for: name), reason: SystemErrors.describe(errno))
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Loads a UBM file, refusing a speaker model.
    public static func loadUBM(path: String) throws(ModelStoreError) -> SpeakerModel {
        let m = try load(path: path)
        guard m.kind == .ubm else { throw .incompatible(path, reason: "is a speaker model, not a UBM (train one with speakerid train-ubm)") }
        return m
    }

    /// Loads every speaker model (UBM files in the folder are skipped) and checks they can be
    /// compared: same front end, and either all trained by EM (`ubm` nil) or all adapted from
    /// `ubm`. Loaded for scoring: the enrolment statistics stay on disk (`enrolmentStatistics`
    /// true reads them), and speakers adapted in their means only share the UBM's weights and
    /// variances in memory, so 10,000 models of 512 components take about their means' size.
    ///
    /// `checkingUBM` false loads the speakers whatever their GMMs were trained or adapted from:
    /// for the d-vector system, which does not score the GMMs.
    public func loadAll(
        ubm: SpeakerModel? = nil, enrolmentStatistics: Bool = false, checkingUBM: Bool = true
    ) throws(ModelStoreError) -> [SpeakerModel] {
        let lock = try lockIfPresent(.shared)
        defer { withExtendedLifetime(lock) {} }
        let paths = try modelPaths()
        if paths.isEmpty { throw ModelStoreError.noModels(directory) }
        var models: [SpeakerModel] = []
        let identity = ubm.map(UBMIdentity.init)
        // Read, checked and decoded on every core (10,000 files of 512 x 63 are 2.5 GB), each
        // sharing the UBM's arrays as soon as it is decoded, so the peak stays at the means'
        // size; then checked against each other in folder order, so the first bad file named
        // is the same whatever the core count.
        let loaded = blockingParallelMap(count: paths.count, threads: defaultThreadCount()) { i throws(ModelStoreError) -> SpeakerModel in
            var m = try Self.load(path: paths[i], enrolmentStatistics: enrolmentStatistics)
            if let ubm, m.gmm.components == ubm.gmm.components, m.gmm.dimension == ubm.gmm.dimension {
                m.gmm = m.gmm.sharingStorage(with: ubm.gmm)
            }
            return m
        }
        for (p, outcome) in zip(paths, loaded) {
            let m = try outcome.get()
            if m.kind == .ubm { continue }
            // Named by speaker, as the user knows them, not by the encoded file name.
            let who = "\(directory): speaker \(m.speaker.debugDescription)"
            switch checkingUBM ? ModelMismatch.of(m, ubm: identity, frontEnd: nil) : nil {
            case .trainedByEM:
                throw ModelStoreError.incompatible(who, reason: "was trained by EM, not adapted from a UBM; enrol with the UBM, or score without one")
            case .otherUBM(let checksum):
                throw ModelStoreError.incompatible(
                    who,
                    reason: "was adapted from another UBM (checksum \(checksum), this UBM is \(identity?.checksumHex ?? "")); re-enrol with this UBM")
            case .adaptedFromUBM:
                throw ModelStoreError.incompatible(who, reason: "was MAP-adapted from a UBM; score it with that UBM")
            case .otherFrontEnd, nil: break
            }
            if let n = try? SpeakerName(m.speaker), n.fileName != PathName.lastComponent(p) {
                throw ModelStoreError.nameMismatch(p, stored: m.speaker)
            }
            if let first = models.first, case .otherFrontEnd = ModelMismatch.of(m, ubm: identity, frontEnd: first.frontEnd) {
                throw ModelStoreError.incompatible(
                    who,
                    reason:
                        "made with a different front-end configuration from \(first.speaker.debugDescription)'s model (\(FrontEndOptions.differences(first.frontEnd, m.frontEnd))); models can only be compared when their features are made the same way"
                )
            }
            models.append(m)
        }
        if models.isEmpty { throw ModelStoreError.noModels(directory) }
        if let ubm, ubm.frontEnd != models[0].frontEnd {
            throw ModelStoreError.incompatible(
                directory, reason: "the models' front end differs from the UBM's (\(FrontEndOptions.differences(ubm.frontEnd, models[0].frontEnd)))")
        }
        return models
    }
}
