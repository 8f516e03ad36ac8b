import Foundation
import SpeakerID

/// What tracking decides with: the enrolled models' identifier and `track`'s rule (open set
/// with the server's --calibration or --threshold, as `speakerid track` has them).
struct TrackingSetup: Sendable {
    var identifier: Identifier
    /// With the d-vector or fused system: what decides the decoder's segments.
    var encoderScoring: EncoderSegmentScoring?
    var system: ScoringSystem
    var rule: DecisionRule
    var options: TrackerOptions
    var costs: DecisionCosts
    var calibrated: Bool

    /// A live decision or closed segment as a text frame of `/v1/stream`: the object
    /// `track --stream --json` prints, with the decision's `posterior` (of its calibrated LLR,
    /// at the server's prior) when it has one.
    func withPosterior(_ object: [String: Any], llr: Double?) -> [String: Any] {
        guard calibrated, let llr, llr.isFinite else { return object }
        var o = object
        o["posterior"] = TrackingJSON.number(costs.posterior(llr: llr))
        return o
    }
}

extension SpeakerFolder {
    /// The enrolled speakers as `speakerid track` would track them with the server's settings:
    /// 409 when there is nobody to track, or when one speaker without an open-set rule would
    /// name every voice.
    func trackingSetup() throws(APIError) -> TrackingSetup {
        let tracking = try current().tracked()
        let identifier = tracking.identifier
        // As `track`: the encoder's LLRs are decided at the threshold, else the Bayes threshold.
        let rule =
            tracking.encoderScoring == nil
            ? DecisionRule(calibration: calibration, threshold: settings.threshold, costs: settings.costs)
            : .onCalibratedLLRs(threshold: settings.threshold, costs: settings.costs)
        if let reserved = identifier.speakers.first(where: TrackedSegment.isReservedLabel) {
            throw APIError.conflict(userMessage(TrackingError.reservedName(reserved)))
        }
        if !rule.isOpenSet, identifier.speakers.count == 1 {
            throw APIError.conflict(
                "the models folder holds one speaker, \(identifier.speakers[0].debugDescription): without --calibration or --threshold every voice would be named them; start the server with --calibration FILE or --threshold T"
            )
        }
        return TrackingSetup(
            identifier: identifier, encoderScoring: tracking.encoderScoring, system: settings.system, rule: rule, options: TrackerOptions(),
            costs: settings.costs, calibrated: calibration != nil)
    }

    /// `track --json`'s object for one recording (`name` is its `file`), as one line of JSON.
    func track(_ data: Data, name: String, setup: TrackingSetup, progress: @escaping (Double) -> Void = { _ in }) throws(APIError) -> String {
        let result: TrackingResult
        do {
            result = try SpeakerTracker.track(
                .memory(data, name: name), identifier: setup.identifier, rule: setup.rule, options: setup.options,
                encoderScoring: setup.encoderScoring, onProgress: progress)
        } catch let e as TrackingError {
            throw APIError.conflict(userMessage(e))
        } catch {
            throw APIError.notAudio("the recording cannot be tracked: \(userMessage(error))")
        }
        let warning = setup.identifier.frontEnd.options.narrowBandWarning(result.name, sourceRate: result.sourceSampleRate)
        guard let line = TrackingJSON.line(TrackingJSON.recording(result, system: setup.system.rawValue, warning: warning)) else {
            throw APIError.internal("the timeline cannot be written as JSON (a value is not a finite number); please report this")
        }
        return line
    }
}

/// `POST /v1/track`'s long recordings: tracked one at a time in the background, their state
/// and result kept (the newest `keep` finished ones) for `GET /v1/jobs/{id}`.
final class TrackJobs: @unchecked Sendable {
    // @unchecked: `jobs` and `finished` are only touched under `lock`.
    enum State: String, Sendable { case queued, running, done, failed }

    struct Job: Sendable {
        var id: String
        var state: State
        var progress: Double
        var result: String?
        var error: String?
    }

    private let lock = NSLock()
    private var jobs: [String: Job] = [:]
    private var finished: [String] = []
    /// Jobs queued or running at most (429 beyond), finished jobs kept.
    let maxPending: Int
    let keep: Int
    private let queue = DispatchQueue(label: "speakerid-server.track-jobs")

    init(maxPending: Int = 8, keep: Int = 256) {
        self.maxPending = maxPending
        self.keep = keep
    }

    /// A new job running `work` (given a progress callback; it returns the result or throws
    /// an APIError); nil when `maxPending` jobs are already waiting or running.
    func start(_ work: @escaping @Sendable (@escaping @Sendable (Double) -> Void) throws(APIError) -> String) -> Job? {
        var rng = SystemRandomNumberGenerator()
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        lock.lock()
        if jobs.values.filter({ $0.state == .queued || $0.state == .running }).count >= maxPending {
            lock.unlock()
            return nil
        }
        let job = Job(id: id, state: .queued, progress: 0)
        jobs[id] = job
        lock.unlock()
        queue.async {
            self.update(id) { $0.state = .running }
            do throws(APIError) {
                let result = try work { p in self.update(id) { $0.progress = min(max(p, 0), 1) } }
                self.finish(id) {
                    $0.state = .done
                    $0.progress = 1
                    $0.result = result
                }
            } catch {
                self.finish(id) {
                    $0.state = .failed
                    $0.error = error.message
                }
            }
        }
        return job
    }

    private func update(_ id: String, _ change: (inout Job) -> Void) {
        lock.lock()
        if var j = jobs[id] {
            change(&j)
            jobs[id] = j
        }
        lock.unlock()
    }

    private func finish(_ id: String, _ change: (inout Job) -> Void) {
        update(id, change)
        lock.lock()
        finished.append(id)
        while finished.count > keep { jobs[finished.removeFirst()] = nil }
        lock.unlock()
    }

    func job(_ id: String) -> Job? {
        lock.lock()
        defer { lock.unlock() }
        return jobs[id]
    }

    /// A job as `GET /v1/jobs/{id}` answers it: `{"id", "state", "progress", "result"?, "error"?}`.
    static func json(_ j: Job) -> String {
        var o: [String: Any] = ["id": j.id, "state": j.state.rawValue, "progress": (j.progress * 1000).rounded() / 1000]
        if let r = j.result, let object = try? JSONSerialization.jsonObject(with: Data(r.utf8)) { o["result"] = object }
        if let e = j.error { o["error"] = e }
        return TrackingJSON.line(o) ?? #"{"error":"the job cannot be written as JSON"}"#
    }
}
