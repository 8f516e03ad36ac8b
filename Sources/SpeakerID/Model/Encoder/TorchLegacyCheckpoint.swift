/// The float tensors of a legacy PyTorch checkpoint (`torch.save` before PyTorch 1.6, the format
/// of resemblyzer's `pretrained.pt`), read without Python or torch: four pickles (magic number,
/// protocol version, system information, the saved object), a fifth listing the storage keys,
/// then each storage as a little-endian element count and its raw bytes.
///
/// Only what a state dict needs is understood: dictionaries (plain and `OrderedDict`), lists,
/// tuples, numbers, strings, and tensors rebuilt by `torch._utils._rebuild_tensor_v2` from
/// persistent storages. Any other global or opcode is refused, so nothing in the file is ever
/// executed or trusted beyond its numbers.
struct TorchLegacyCheckpoint {
    struct Tensor: Equatable {
        var shape: [Int]
        var values: [Float]
    }

    /// The checkpoint's tensors by their state-dict key, from the dictionary at `stateKey` of the
    /// saved object (resemblyzer: "model_state").
    let tensors: [String: Tensor]

    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]  // 0x1950a86a20f9469cfc6c, LE

    init(bytes: [UInt8], stateKey: String, name: String) throws(EncoderError) {
        func bad(_ reason: String) -> EncoderError { .notACheckpoint(name, reason: reason) }
        var reader = PickleReader(bytes: bytes, name: name)
        guard case .bigInt(let m) = try reader.load(), m == Self.magic else {
            throw bad("no PyTorch magic number (a checkpoint saved by PyTorch 1.6 or later is a zip file: not supported)")
        }
        guard case .int(1001) = try reader.load() else { throw bad("unknown PyTorch serialization protocol") }
        _ = try reader.load()  // system information: byte order checked through the storages' sizes
        let saved = try reader.load()
        guard case .list(let keyList) = try reader.load() else { throw bad("no storage list") }

        // Every storage in the file, in its order, with its element size.
        var elementSize: [String: Int] = [:]
        for reference in reader.storages { elementSize[reference.key] = reference.elementSize }
        var storages: [String: [Float]] = [:]
        var offset = reader.offset
        for case .string(let key) in keyList.items {
            guard offset + 8 <= bytes.count else { throw bad("storage \(key) cut short") }
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(bytes[offset + i]) << (8 * i) }
            offset += 8
            guard let size = elementSize[key] else { throw bad("storage \(key) is listed but never used") }
            guard count <= UInt64(bytes.count - offset) / UInt64(size) else { throw bad("storage \(key) runs past the end of the file") }
            let n = Int(count)
            if size == 4 {
                storages[key] = bytes.withUnsafeBytes { raw in
                    (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self))) }
                }
            }
            offset += n * size
        }

        guard case .dict(let top) = saved, let state = top.value(for: stateKey), case .dict(let stateDict) = state else {
            throw bad("no '\(stateKey)' dictionary in the checkpoint")
        }
        var tensors: [String: Tensor] = [:]
        for (key, value) in stateDict.entries {
            guard case .string(let k) = key, case .tensor(let t) = value else { continue }
            guard t.elementSize == 4, let storage = storages[t.storage] else { throw bad("tensor \(k) is not stored as 32-bit floats") }
            tensors[k] = try Self.gather(t, from: storage, name: k, bad: bad)
        }
        self.tensors = tensors
    }

    /// The tensor's elements in row-major order, read through its offset and strides.
    private static func gather(_ t: PickleReader.TensorReference, from storage: [Float], name: String,
                               bad: (String) -> EncoderError) throws(EncoderError) -> Tensor {
        guard t.shape.count == t.stride.count, t.shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }), t.stride.allSatisfy({ $0 >= 0 }),
              t.offset >= 0 else { throw bad("tensor \(name) has an invalid shape") }
        let count = t.shape.reduce(1, *)
        guard count <= 1 << 26 else { throw bad("tensor \(name) is too large") }
        var last = t.offset
        for (n, s) in zip(t.shape, t.stride) where n > 0 { last += (n - 1) * s }
        guard count == 0 || last < storage.count else { throw bad("tensor \(name) reaches past its storage") }
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: t.shape.count)
        for i in 0..<count {
            var at = t.offset
            for d in index.indices { at += index[d] * t.stride[d] }
            values[i] = storage[at]
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < t.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: t.shape, values: values)
    }
}

/// A pickle reader for the opcodes torch.save's legacy format uses (protocol 2), building values
/// instead of objects.
struct PickleReader {
    struct TensorReference {
        var storage: String
        var elementSize: Int
        var offset: Int
        var shape: [Int]
        var stride: [Int]
    }

    final class List {
        var items: [Value] = []
    }

    final class Dict {
        var entries: [(Value, Value)] = []
        func value(for key: String) -> Value? {
            for (k, v) in entries { if case .string(let s) = k, s == key { return v } }
            return nil
        }
    }

    indirect enum Value {
        case none, bool(Bool), int(Int), bigInt([UInt8]), float(Double), string(String), bytes([UInt8])
        case tuple([Value]), list(List), dict(Dict)
        case global(String, String)
        case storage(key: String, elementSize: Int)
        case tensor(TensorReference)
        case object
        case mark
    }

    let bytes: [UInt8]
    let name: String
    private(set) var offset = 0
    /// Every persistent storage met so far, in order.
    private(set) var storages: [(key: String, elementSize: Int)] = []

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    private func bad(_ reason: String) -> EncoderError { .notACheckpoint(name, reason: reason) }

    private mutating func byte() throws(EncoderError) -> UInt8 {
        guard offset < bytes.count else { throw bad("the pickle is cut short") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func take(_ n: Int) throws(EncoderError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else { throw bad("the pickle is cut short") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    private mutating func unsigned(_ n: Int) throws(EncoderError) -> Int {
        var v = 0
        for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
        return v
    }

    private mutating func line() throws(EncoderError) -> String {
        guard let end = bytes[offset...].firstIndex(of: 0x0A), end - offset < 256 else { throw bad("a global's name is cut short") }
        let s = String(decoding: bytes[offset..<end], as: UTF8.self)
        offset = end + 1
        return s
    }

    private static func elementSize(_ storageType: String) -> Int? {
        switch storageType {
        case "FloatStorage", "IntStorage": return 4
        case "DoubleStorage", "LongStorage": return 8
        case "HalfStorage", "ShortStorage", "BFloat16Storage": return 2
        case "ByteStorage", "CharStorage", "BoolStorage": return 1
        default: return nil
        }
    }

    /// Reads the next pickle, through its STOP opcode.
    mutating func load() throws(EncoderError) -> Value {
        var stack: [Value] = []
        var memo: [Int: Value] = [:]
        func pop() throws(EncoderError) -> Value {
            guard let v = stack.popLast() else { throw bad("pickle stack underflow") }
            return v
        }
        func popMark() throws(EncoderError) -> [Value] {
            guard let m = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
                throw bad("pickle mark missing")
            }
            let items = Array(stack[(m + 1)...])
            stack.removeSubrange(m...)
            return items
        }
        func top() throws(EncoderError) -> Value {
            guard let v = stack.last else { throw bad("pickle stack underflow") }
            return v
        }
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E:  // STOP
                return try pop()
            case 0x7D: stack.append(.dict(Dict()))  // EMPTY_DICT
            case 0x5D: stack.append(.list(List()))  // EMPTY_LIST
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x28: stack.append(.mark)  // MARK
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x71: memo[try unsigned(1)] = try top()  // BINPUT
            case 0x72: memo[try unsigned(4)] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let i = try unsigned(op == 0x68 ? 1 : 4)
                guard let v = memo[i] else { throw bad("pickle memo \(i) missing") }
                stack.append(v)
            case 0x4B: stack.append(.int(try unsigned(1)))  // BININT1
            case 0x4D: stack.append(.int(try unsigned(2)))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8A:  // LONG1
                let n = try unsigned(1)
                let raw = Array(try take(n))
                if n <= 8 {
                    var v: UInt64 = 0
                    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * i) }
                    if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { v |= ~0 << (8 * n) }  // sign extension
                    stack.append(.int(Int(Int64(bitPattern: v))))
                } else {
                    stack.append(.bigInt(raw))
                }
            case 0x47:  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x58: stack.append(.string(String(decoding: try take(try unsigned(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try take(try unsigned(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x55: stack.append(.string(String(decoding: try take(try unsigned(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x54: stack.append(.string(String(decoding: try take(try unsigned(4)), as: UTF8.self)))  // BINSTRING
            case 0x43: stack.append(.bytes(Array(try take(try unsigned(1)))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try take(try unsigned(4)))))  // BINBYTES
            case 0x63: stack.append(.global(try line(), try line()))  // GLOBAL
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))
            case 0x86:
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x61:  // APPEND
                let v = try pop()
                guard case .list(let l) = try top() else { throw bad("APPEND to something not a list") }
                l.items.append(v)
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(let l) = try top() else { throw bad("APPENDS to something not a list") }
                l.items += items
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                guard case .dict(let d) = try top() else { throw bad("SETITEM on something not a dictionary") }
                d.entries.append((k, v))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, case .dict(let d) = try top() else { throw bad("SETITEMS on something not a dictionary") }
                for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i], items[i + 1])) }
            case 0x62: _ = try pop()  // BUILD: the state of an object this reader does not build
            case 0x51:  // BINPERSID: ('storage', type, key, location, size, view)
                guard case .tuple(let pid) = try pop(), pid.count >= 3, case .string("storage") = pid[0],
                      case .global(_, let type) = pid[1], case .string(let key) = pid[2], let size = Self.elementSize(type)
                else { throw bad("a persistent reference that is not a torch storage") }
                storages.append((key, size))
                stack.append(.storage(key: key, elementSize: size))
            case 0x52:  // REDUCE
                guard case .tuple(let args) = try pop() else { throw bad("REDUCE without an argument tuple") }
                guard case .global(let module, let function) = try pop() else { throw bad("REDUCE of something not a global") }
                switch (module, function) {
                case ("collections", "OrderedDict"):
                    stack.append(.dict(Dict()))
                case ("torch._utils", "_rebuild_tensor_v2"):
                    guard args.count >= 4, case .storage(let key, let size) = args[0], case .int(let offset) = args[1],
                          case .tuple(let shape) = args[2], case .tuple(let stride) = args[3] else {
                        throw bad("a tensor with unexpected arguments")
                    }
                    func ints(_ v: [Value]) throws(EncoderError) -> [Int] {
                        var out: [Int] = []
                        for x in v { guard case .int(let i) = x else { throw bad("a tensor with a non-integer size") }; out.append(i) }
                        return out
                    }
                    stack.append(.tensor(TensorReference(storage: key, elementSize: size, offset: offset,
                                                         shape: try ints(shape), stride: try ints(stride))))
                default:
                    throw bad("it calls \(module).\(function), which a weights file has no need of")
                }
            default:
                throw bad("pickle opcode 0x\(String(op, radix: 16)) is not one a weights file uses")
            }
        }
    }
}
