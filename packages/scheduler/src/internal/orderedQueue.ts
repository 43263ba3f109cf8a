import { type BTree, BTreeCtor } from './btree.ts';

/** A tree key: the primary key `a`, the tie-breaker `b`, and the task itself. */
export interface OrderedKey<T> {
  readonly a: number;
  readonly b: number;
  readonly task: T;
}

const compare = <T>(x: OrderedKey<T>, y: OrderedKey<T>): number => (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b - y.b);

/**
 * Tasks ordered by (a, b) in a B+ tree (`sorted-btree`): O(log n) insert, remove and
 * pop of the smallest. Keys never change while a task is queued.
 */
export class OrderedQueue<T extends { readonly tid: number }> {
  private readonly tree: BTree<OrderedKey<T>, undefined> = new BTreeCtor<OrderedKey<T>, undefined>(undefined, compare);
  private readonly keys = new Map<number, OrderedKey<T>>();

  get size(): number {
    return this.keys.size;
  }

  has(task: T): boolean {
    return this.keys.has(task.tid);
  }

  insert(task: T, a: number, b: number): void {
    const key: OrderedKey<T> = { a, b, task };
    this.keys.set(task.tid, key);
    this.tree.set(key, undefined);
  }

  remove(task: T): boolean {
    const key = this.keys.get(task.tid);
    if (key === undefined) return false;
    this.keys.delete(task.tid);
    this.tree.delete(key);
    return true;
  }

  /** The smallest key, without removing it. */
  peek(): OrderedKey<T> | undefined {
    return this.tree.minKey();
  }

  /** Removes and returns the task with the smallest key. */
  popMin(): T | undefined {
    const key = this.tree.minKey();
    if (key === undefined) return undefined;
    this.keys.delete(key.task.tid);
    this.tree.delete(key);
    return key.task;
  }

  /** The queued tasks in key order. */
  toArray(): T[] {
    return this.tree.keysArray().map((k) => k.task);
  }

  /** The queue as `[tid, a, b]` triples in key order (a checkpoint). */
  save(): [tid: number, a: number, b: number][] {
    return this.tree.keysArray().map((k) => [k.task.tid, k.a, k.b]);
  }

  /** Replaces the contents with what {@link save} returned. */
  load(entries: readonly (readonly [number, number, number])[], taskByTid: (tid: number) => T): void {
    this.tree.clear();
    this.keys.clear();
    for (const [tid, a, b] of entries) this.insert(taskByTid(tid), a, b);
  }
}
