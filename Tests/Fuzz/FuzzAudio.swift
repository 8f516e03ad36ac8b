import Foundation

// libFuzzer target: arbitrary bytes through libsndfile's virtual I/O into the front end. It
// must throw an AudioError or FeatureError, or produce finite features; any crash is a bug.
nonisolated(unsafe) let fuzzFrontEnd = try! FrontEnd()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    guard let decoder = try? AudioDecoder(data: bytes, name: "fuzz") else { return 0 }
    // Bound the work per input (a header may claim hours of audio).
    if decoder.info.frames > 2_000_000 { return 0 }
    if let f = try? fuzzFrontEnd.features(from: decoder) {
        let m = fuzzFrontEnd.normalized(f.frames)
        if !m.values.allSatisfy({ $0.isFinite }) { fatalError("non-finite features") }
    }
    return 0
}
