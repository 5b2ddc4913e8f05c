/**
 * PHP's `json_encode($array)` with its default flags, for the flat arrays AliKassa signs (its
 * notifications: "Verifying the signature of a notification", see notification.ts). A signature
 * is over bytes, so these must be PHP's bytes exactly, not JSON.stringify's:
 *
 * - `/` is written `\/` (JSON.stringify leaves it);
 * - every character above U+007F is written `\uXXXX` in lower-case hex, a character above U+FFFF
 *   as its UTF-16 surrogate pair (JSON.stringify writes the UTF-8 itself). Only
 *   JSON_UNESCAPED_UNICODE would change that, and AliKassa's sample passes no flags;
 * - `"` and `\` are escaped, \b \f \n \r \t by name, other characters below U+0020 as `\u00xx`;
 *   DEL (U+007F) is left as it is (PHP's escape table stops at U+001F);
 * - keys in the order given, integers as digits, true / false / null, no spaces.
 *
 * The strings here come from a decoded query string, which cannot hold a lone surrogate
 * (decodeURIComponent refuses one), so every string is valid UTF-16 and has one encoding.
 */

export type PhpJsonScalar = string | number | bigint | boolean | null;

const NAMED: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function hex4(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Characters json_encode writes otherwise than as themselves: all but printable ASCII, `"`, `\` and `/`. */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x2e\x30-\x5b\x5d-\x7e]/;

/** A PHP string literal as json_encode writes it. */
export function phpJsonString(value: string): string {
  // Most values (ids, amounts, statuses) need no escape: one regex test instead of a walk.
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  // for..of walks code points: one above U+FFFF is written as its two UTF-16 halves.
  for (const ch of value) {
    const named = NAMED[ch];
    if (named !== undefined) {
      out += named;
      continue;
    }
    const code = ch.codePointAt(0)!;
    if (code < 0x20) out += hex4(code);
    else if (code < 0x80) out += ch;
    else if (code <= 0xffff) out += hex4(code);
    else {
      const v = code - 0x10000;
      out += hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
    }
  }
  return `${out}"`;
}

function scalar(value: PhpJsonScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // Only integers are signed by AliKassa (its `(int) $_GET['id']`); a float's digits differ
    // between PHP (serialize_precision) and JavaScript, so none is accepted here.
    if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${String(value)}`);
    return String(value);
  }
  return phpJsonString(value);
}

/** `json_encode` of a PHP associative array of scalars, in the order of `entries`. */
export function phpJsonEncode(entries: ReadonlyArray<readonly [string, PhpJsonScalar]>): string {
  return `{${entries.map(([k, v]) => `${phpJsonString(k)}:${scalar(v)}`).join(',')}}`;
}
