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
    /// The first bytes of a zip file, which is what torch.save writes from PyTorch 1.6 on.
    static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// The most values the checkpoint's tensors may hold in all (resemblyzer's hold 1.4 million).
    static let maximumValues = 1 << 26

    init(bytes: [UInt8], stateKey: String, name: String) throws(EncoderError) {
        func bad(_ reason: String) -> EncoderError { .notACheckpoint(name, reason: reason) }
        let zipMessage = "a checkpoint saved by PyTorch 1.6 or later is a zip file: not supported"
        // Checked before unpickling: a zip's first byte is no pickle opcode.
        guard !bytes.starts(with: Self.zipMagic) else { throw bad(zipMessage) }
        var reader = PickleReader(bytes: bytes, name: name)
        guard case .bigInt(let m) = try reader.load(), m == Self.magic else {
            throw bad("no PyTorch magic number (\(zipMessage))")
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
        var values = 0
        for (key, value) in stateDict.entries {
            guard case .string(let k) = key, case .tensor(let t) = value else { continue }
            guard t.elementSize == 4, let storage = storages[t.storage] else { throw bad("tensor \(k) is not stored as 32-bit floats") }
            let tensor = try Self.gather(t, from: storage, name: k, bad: bad)
            values += tensor.values.count  // each at most maximumValues: no overflow
            guard values <= Self.maximumValues else { throw bad("its tensors hold more than \(Self.maximumValues) values in all") }
            tensors[k] = tensor
        }
        self.tensors = tensors
    }

    /// The tensor's elements in row-major order, read through its offset and strides. The
    /// geometry comes from the file, so every product and sum is checked for overflow.
    private static func gather(
        _ t: PickleReader.TensorReference, from storage: [Float], name: String,
        bad: (String) -> EncoderError
    ) throws(EncoderError) -> Tensor {
        guard t.shape.count == t.stride.count, t.shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }), t.stride.allSatisfy({ $0 >= 0 }),
            t.offset >= 0
        else { throw bad("tensor \(name) has an invalid shape") }
        if t.shape.contains(0) { return Tensor(shape: t.shape, values: []) }
        var count = 1
        for n in t.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow, product <= maximumValues else { throw bad("tensor \(name) is too large") }
            count = product
        }
        // The last element's index in the storage; every other element's is at most it.
        var last = t.offset
        for (n, s) in zip(t.shape, t.stride) {
            let (step, overflow) = (n - 1).multipliedReportingOverflow(by: s)
            let (sum, overflowed) = last.addingReportingOverflow(step)
            guard !overflow, !overflowed else { throw bad("tensor \(name) reaches past its storage") }
            last = sum
        }
        guard last < storage.count else { throw bad("tensor \(name) reaches past its storage") }
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
///
/// Values nest at most `maximumDepth` deep (a state dict needs about 5): a value nested a million
/// deep would crash when released, which recurses. Every container's depth is known when it is
/// built: a list or dictionary is complete once it is placed inside another value (as pickle
/// writes them), so adding to it afterwards, or to itself, is refused; its depth cannot change
/// behind the values that hold it, and no value holds itself.
struct PickleReader {
    static let maximumDepth = 32

    struct TensorReference {
        var storage: String
        var elementSize: Int
        var offset: Int
        var shape: [Int]
        var stride: [Int]
    }

    final class List {
        var items: [Value] = []
        /// 1 + the deepest item's depth.
        var depth = 1
        /// Placed inside another value: complete.
        var sealed = false
    }

    final class Dict {
        var entries: [(Value, Value)] = []
        /// 1 + the deepest key's or value's depth.
        var depth = 1
        /// Placed inside another value: complete.
        var sealed = false
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

    /// A value on the pickle stack or in its memo, with its nesting depth: 0 for a scalar, and
    /// for a tuple 1 + its deepest item's (a list's or dictionary's is kept in the object, which
    /// grows until the container is sealed).
    private struct Entry {
        var value: Value
        var tupleDepth = 0

        var depth: Int {
            switch value {
            case .list(let l): return l.depth
            case .dict(let d): return d.depth
            default: return tupleDepth
            }
        }
    }

    /// Reads the next pickle, through its STOP opcode.
    mutating func load() throws(EncoderError) -> Value {
        var stack: [Entry] = []
        var memo: [Int: Entry] = [:]
        let tooDeep = "values nested more than \(Self.maximumDepth) deep, which a weights file has no need of"
        func push(_ v: Value) { stack.append(Entry(value: v)) }
        func pop() throws(EncoderError) -> Entry {
            guard let v = stack.popLast() else { throw bad("pickle stack underflow") }
            return v
        }
        func popMark() throws(EncoderError) -> [Entry] {
            guard let m = stack.lastIndex(where: { if case .mark = $0.value { return true } else { return false } }) else {
                throw bad("pickle mark missing")
            }
            let items = Array(stack[(m + 1)...])
            stack.removeSubrange(m...)
            return items
        }
        func top() throws(EncoderError) -> Value {
            guard let v = stack.last else { throw bad("pickle stack underflow") }
            return v.value
        }
        /// The depth of a container of `items`, refused past the limit; the items are sealed.
        func contain(_ items: [Entry]) throws(EncoderError) -> Int {
            let depth = 1 + items.reduce(0) { max($0, $1.depth) }
            guard depth <= Self.maximumDepth else { throw bad(tooDeep) }
            for item in items {
                switch item.value {
                case .list(let l): l.sealed = true
                case .dict(let d): d.sealed = true
                default: break
                }
            }
            return depth
        }
        func tuple(_ items: [Entry]) throws(EncoderError) {
            let depth = try contain(items)
            stack.append(Entry(value: .tuple(items.map(\.value)), tupleDepth: depth))
        }
        /// The list on top of the stack, which `items` may still join.
        func openList(for items: [Entry], _ opcode: String) throws(EncoderError) -> List {
            guard case .list(let l) = try top() else { throw bad("\(opcode) to something not a list") }
            guard !l.sealed, !items.contains(where: { if case .list(let i) = $0.value { return i === l } else { return false } }) else {
                throw bad("\(opcode) to a list already inside another value, or to itself")
            }
            l.depth = max(l.depth, try contain(items))
            return l
        }
        /// The dictionary on top of the stack, which `items` may still join.
        func openDict(for items: [Entry], _ opcode: String) throws(EncoderError) -> Dict {
            guard case .dict(let d) = try top() else { throw bad("\(opcode) on something not a dictionary") }
            guard !d.sealed, !items.contains(where: { if case .dict(let i) = $0.value { return i === d } else { return false } }) else {
                throw bad("\(opcode) on a dictionary already inside another value, or on itself")
            }
            d.depth = max(d.depth, try contain(items))
            return d
        }
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E:  // STOP
                return try pop().value
            case 0x7D: push(.dict(Dict()))  // EMPTY_DICT
            case 0x5D: push(.list(List()))  // EMPTY_LIST
            case 0x29: try tuple([])  // EMPTY_TUPLE
            case 0x28: push(.mark)  // MARK
            case 0x4E: push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x71, 0x72, 0x94:  // BINPUT, LONG_BINPUT, MEMOIZE
                let i = op == 0x94 ? memo.count : try unsigned(op == 0x71 ? 1 : 4)
                guard let v = stack.last else { throw bad("pickle stack underflow") }
                memo[i] = v
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let i = try unsigned(op == 0x68 ? 1 : 4)
                guard let v = memo[i] else { throw bad("pickle memo \(i) missing") }
                stack.append(v)
            case 0x4B: push(.int(try unsigned(1)))  // BININT1
            case 0x4D: push(.int(try unsigned(2)))  // BININT2
            case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8A:  // LONG1
                let n = try unsigned(1)
                let raw = Array(try take(n))
                if n <= 8 {
                    var v: UInt64 = 0
                    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * i) }
                    if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { v |= ~0 << (8 * n) }  // sign extension
                    push(.int(Int(Int64(bitPattern: v))))
                } else {
                    push(.bigInt(raw))
                }
            case 0x47:  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                push(.float(Double(bitPattern: v)))
            case 0x58: push(.string(String(decoding: try take(try unsigned(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: push(.string(String(decoding: try take(try unsigned(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x55: push(.string(String(decoding: try take(try unsigned(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x54: push(.string(String(decoding: try take(try unsigned(4)), as: UTF8.self)))  // BINSTRING
            case 0x43: push(.bytes(Array(try take(try unsigned(1)))))  // SHORT_BINBYTES
            case 0x42: push(.bytes(Array(try take(try unsigned(4)))))  // BINBYTES
            case 0x63: push(.global(try line(), try line()))  // GLOBAL
            case 0x74: try tuple(try popMark())  // TUPLE
            case 0x85: try tuple([try pop()])  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop(), a = try pop()
                try tuple([a, b])
            case 0x87:  // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                try tuple([a, b, c])
            case 0x61:  // APPEND
                let v = try pop()
                try openList(for: [v], "APPEND").items.append(v.value)
            case 0x65:  // APPENDS
                let items = try popMark()
                try openList(for: items, "APPENDS").items += items.map(\.value)
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                try openDict(for: [k, v], "SETITEM").entries.append((k.value, v.value))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("SETITEMS with a key and no value") }
                let d = try openDict(for: items, "SETITEMS")
                for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i].value, items[i + 1].value)) }
            case 0x62: _ = try pop()  // BUILD: the state of an object this reader does not build
            case 0x51:  // BINPERSID: ('storage', type, key, location, size, view)
                guard case .tuple(let pid) = try pop().value, pid.count >= 3, case .string("storage") = pid[0],
                    case .global(_, let type) = pid[1], case .string(let key) = pid[2], let size = Self.elementSize(type)
                else { throw bad("a persistent reference that is not a torch storage") }
                storages.append((key, size))
                push(.storage(key: key, elementSize: size))
            case 0x52:  // REDUCE
                guard case .tuple(let args) = try pop().value else { throw bad("REDUCE without an argument tuple") }
                guard case .global(let module, let function) = try pop().value else { throw bad("REDUCE of something not a global") }
                switch (module, function) {
                case ("collections", "OrderedDict"):
                    push(.dict(Dict()))
                case ("torch._utils", "_rebuild_tensor_v2"):
                    guard args.count >= 4, case .storage(let key, let size) = args[0], case .int(let offset) = args[1],
                        case .tuple(let shape) = args[2], case .tuple(let stride) = args[3]
                    else {
                        throw bad("a tensor with unexpected arguments")
                    }
                    func ints(_ v: [Value]) throws(EncoderError) -> [Int] {
                        var out: [Int] = []
                        for x in v {
                            guard case .int(let i) = x else { throw bad("a tensor with a non-integer size") }
                            out.append(i)
                        }
                        return out
                    }
                    push(
                        .tensor(
                            TensorReference(
                                storage: key, elementSize: size, offset: offset,
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
