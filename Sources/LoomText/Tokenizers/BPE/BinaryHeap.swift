/// An element of a `BinaryHeap`: `comesBefore` says which of two leaves the heap first.
protocol HeapOrdered {
    func comesBefore(_ other: Self) -> Bool
}

extension UInt64: HeapOrdered {
    /// Packed keys leave smallest first.
    @inline(__always) func comesBefore(_ other: UInt64) -> Bool { self < other }
}

/// An array-backed binary heap; the BPE trainer's merge queue and the encoder's rank queue.
struct BinaryHeap<Element: HeapOrdered> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !items[child].comesBefore(items[parent]) { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= items.count { break }
            var first = left
            if left + 1 < items.count && items[left + 1].comesBefore(items[left]) { first = left + 1 }
            if !items[first].comesBefore(items[parent]) { break }
            items.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
