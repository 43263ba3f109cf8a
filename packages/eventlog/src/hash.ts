import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { configure } from 'safe-stable-stringify';

const canonical = configure({ bigint: true, circularValue: Error, deterministic: true });

/**
 * The canonical JSON text of plain data: object keys sorted, so two objects with
 * the same content give the same text whatever order their keys were added in.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'undefined';
}

/**
 * A stable hash of plain data (SHA-256 of its canonical JSON, in hex), independent
 * of key order: equal states hash equal across runs, machines and versions of V8.
 */
export function stateHash(value: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(value))));
}
