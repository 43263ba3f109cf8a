import sortedBtree from 'sorted-btree';

/** The B+ tree class of `sorted-btree`. */
export type BTree<K, V> = sortedBtree.default<K, V>;
type BTreeClass = typeof sortedBtree.default;

// sorted-btree is CommonJS with `exports.default = BTree`. Node hands an ES module
// `module.exports` as the default import; bundlers and Vitest hand `exports.default`.
const imported = sortedBtree as unknown as BTreeClass | { default: BTreeClass };

/** The `BTree` constructor, whichever way the module loader interoperates. */
export const BTreeCtor: BTreeClass = typeof imported === 'function' ? imported : imported.default;
