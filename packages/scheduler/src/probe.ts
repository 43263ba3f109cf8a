import sortedBtree from 'sorted-btree';
import type { ISortedMap } from 'sorted-btree';
const BTree = sortedBtree.default;
type Tree<K, V> = sortedBtree.default<K, V>;
const t: Tree<number, string> = new BTree<number, string>();
const m: ISortedMap<number,string> = t;
t.set(2, 'b'); t.set(1, 'a');
console.log(typeof sortedBtree, t.minKey(), m.size);
