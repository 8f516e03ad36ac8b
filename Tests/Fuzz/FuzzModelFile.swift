// libFuzzer target: arbitrary bytes into the model-file decoder. It must throw a
// ModelFileError or return a valid model; any crash is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let model = try? ModelFile.decode(bytes, name: "fuzz") {
        // A model that decodes must be usable: scoring it cannot crash or give NaN.
        let x = FeatureMatrix(rows: 3, columns: model.gmm.dimension, repeating: 0.5)
        let s = model.gmm.averageLogLikelihood(x)
        if s.isNaN { fatalError("NaN score from a decoded model") }
    }
    return 0
}
