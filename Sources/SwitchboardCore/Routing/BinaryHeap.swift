/// A binary min-heap: `first` is the smallest element by `<`. Used for waiting lines (where
/// "smallest" means "next in line") and timers. Entries that became stale are dropped by their
/// owners when they surface, so removal is never needed in the middle.
public struct BinaryHeap<Element: Comparable & Sendable>: Sendable {
    public init() {}
    private(set) var storage: [Element] = []

    public var isEmpty: Bool { storage.isEmpty }
    public var count: Int { storage.count }
    public var first: Element? { storage.first }

    public mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    public mutating func pop() -> Element? {
        guard !storage.isEmpty else { return nil }
        storage.swapAt(0, storage.count - 1)
        let top = storage.removeLast()
        var parent = 0
        let count = storage.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var smallest = left
            let right = left + 1
            if right < count, storage[right] < storage[left] { smallest = right }
            guard storage[smallest] < storage[parent] else { break }
            storage.swapAt(smallest, parent)
            parent = smallest
        }
        return top
    }
}
