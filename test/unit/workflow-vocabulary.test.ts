/**
 * Provider words stay in providers/: workflow code compares only the engine's own words. Every
 * string literal compared in workflows/ (===, !==, case) must be engine vocabulary: a name
 * declared in a workflows/*definitions file or the kernel (statuses, actions, methods, kinds),
 * a ProviderState, or an activity outcome discriminant declared in activities/ (`outcome: '…'`,
 * `state: '…'`). A provider status word ('Success', 'wait', 'settlement', …) compared in a saga
 * fails this test: map it in the provider's states.ts instead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') }));

const workflows = read('workflows');
const activities = read('activities');

function literals(text: string): string[] {
  return [...text.matchAll(/'([^'\n]*)'/g)].map((m) => m[1]!);
}

/** Engine names: every literal of the definitions files and the kernel's definitions. */
const engineWords = new Set<string>(
  workflows
    .filter((w) => /definitions\.ts$|unmatched-report\.ts$/.test(w.file))
    .flatMap((w) => literals(w.text)),
);
// Discriminants the engine declares for its own unions (activity results, a saga's local
// decisions): `outcome: 'created'`, `kind: 'reject'`, `'a' | 'b'`.
for (const { text } of [...activities, ...workflows]) {
  for (const m of text.matchAll(/\b(?:outcome|state|kind|settledBy)\??:\s*'([^'\n]*)'/g))
    engineWords.add(m[1]!);
  // A union typing a provider's own `status` field holds provider words: not engine words.
  const lines = text.split('\n').filter((line) => !/\bstatus\??:/.test(line));
  for (const line of lines) {
    for (const m of line.matchAll(/\|\s*'([^'\n]*)'/g)) engineWords.add(m[1]!);
    for (const m of line.matchAll(/'([^'\n]*)'\s*\|/g)) engineWords.add(m[1]!);
  }
}

/** String literals a workflow compares: `x === 'w'`, `'w' !== x`, `case 'w':`. */
function comparedLiterals(text: string): string[] {
  const out: string[] = [];
  // `typeof x === 'string'` is a JavaScript type name, not a word.
  for (const m of text.matchAll(/(typeof\s+[\w.?]+\s*)?[!=]==\s*'([^'\n]*)'/g)) if (!m[1]) out.push(m[2]!);
  for (const m of text.matchAll(/'([^'\n]*)'\s*[!=]==/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bcase\s+'([^'\n]*)'\s*:/g)) out.push(m[1]!);
  return out;
}

describe('workflow code compares only engine words', () => {
  it('finds comparisons to check (the scanner works)', () => {
    assert.ok(workflows.flatMap((w) => comparedLiterals(w.text)).length > 20);
    assert.deepEqual(comparedLiterals(`if (a.status === 'Success') x; switch (s) { case 'wait': }`), [
      'Success',
      'wait',
    ]);
  });

  it('no provider status word is compared in workflows/', () => {
    const offenders = workflows.flatMap((w) =>
      comparedLiterals(w.text)
        .filter((word) => !engineWords.has(word))
        .map((word) => `${w.file}: '${word}'`),
    );
    assert.deepEqual(offenders, [], 'map provider words in providers/<p>/states.ts, compare engine states');
  });

  it('the PPOB and AliKassa status words are not engine words', () => {
    for (const word of ['Success', 'Failed', 'Waiting', 'wait', 'success', 'settlement'])
      assert.ok(!engineWords.has(word), `${word} must stay in providers/`);
  });
});
