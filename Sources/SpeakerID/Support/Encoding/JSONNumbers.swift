/// Numbers in JSON, which has no NaN or infinities.
extension KeyedEncodingContainer {
    /// `x`, or null where it is not finite.
    mutating func encodeNumber(_ x: Double, forKey key: Key) throws {
        if x.isFinite { try encode(x, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
