/**
 * The README's state tables match the code. Each saga's table follows a marker
 * `<!-- states:<saga> -->`; its first column is the status in backticks, and one column says what
 * an operator does. The statuses a table lists must be exactly the saga's status list (imported
 * from its definitions file, never copied): a status the code has and the README lacks fails, and
 * so does a README status the code no longer has.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KLINK_REFUND_STATUSES } from '../../workflows/klink-refund-definitions';
import { KWALLET_TRANSFER_STATUSES } from '../../workflows/kwallet-transfer-definitions';
import { PAYOUT_STATUSES } from '../../workflows/payout-definitions';
import { PPOB_STATUSES } from '../../workflows/ppob-definitions';
import { PRAKERJA_STATUSES } from '../../workflows/prakerja-definitions';
import { TRANSFER_STATUSES } from '../../workflows/transfer-definitions';
import { UNMATCHED_STATUSES } from '../../workflows/unmatched-report';
import { SAGA_NAMES, SAGAS } from '../../workflows/sagas';

/** Marker name in the README (the saga's key in workflows/sagas.ts) -> its statuses in the code. */
const SAGA_STATUSES: Record<string, readonly string[]> = {
  prakerja: PRAKERJA_STATUSES,
  klinkRefund: KLINK_REFUND_STATUSES,
  ppob: PPOB_STATUSES,
  transfer: TRANSFER_STATUSES,
  payout: PAYOUT_STATUSES,
  kwalletTransfer: KWALLET_TRANSFER_STATUSES,
  unmatched: UNMATCHED_STATUSES,
};

const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

interface StateRow {
  status: string;
  operatorDoes: string;
}

/** The cells of a markdown table line; `\|` inside a cell is text, not a border. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The table right after `<!-- states:<saga> -->` (blank lines between are allowed). */
function stateTable(readme: string, saga: string): StateRow[] {
  const marker = `<!-- states:${saga} -->`;
  const lines = readme.split('\n');
  const at = lines.findIndex((l) => l.trim() === marker);
  assert.notEqual(at, -1, `README.md has no ${marker}`);
  assert.equal(lines.filter((l) => l.trim() === marker).length, 1, `README.md has ${marker} more than once`);
  let i = at + 1;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const table: string[] = [];
  while (i < lines.length && lines[i]!.trim().startsWith('|')) table.push(lines[i++]!);
  assert.ok(table.length >= 2, `a table right after ${marker}`);

  const header = cells(table[0]!).map((h) => h.toLowerCase());
  assert.match(header[0] ?? '', /^status$/, `the first column after ${marker} is "status"`);
  const operatorColumn = header.findIndex((h) => h.includes('operator'));
  assert.notEqual(operatorColumn, -1, `a "what an operator does" column after ${marker}`);
  assert.match(table[1]!, /^\s*\|[\s:|-]+\|\s*$/, `the table after ${marker} has its separator line`);

  return table.slice(2).map((line) => {
    const row = cells(line);
    const status = /^`([A-Z_]+)`$/.exec(row[0] ?? '');
    assert.ok(status, `README ${saga} row "${row[0]}": the first cell is one status in backticks`);
    return { status: status[1]!, operatorDoes: row[operatorColumn] ?? '' };
  });
}

describe('README state tables', () => {
  for (const [saga, statuses] of Object.entries(SAGA_STATUSES)) {
    describe(saga, () => {
      it('lists exactly the statuses the code has', () => {
        const rows = stateTable(README, saga);
        const listed = rows.map((r) => r.status);
        assert.deepEqual(
          listed.filter((s, i) => listed.indexOf(s) !== i),
          [],
          `a status listed twice in the ${saga} table`,
        );
        assert.deepEqual(
          statuses.filter((s) => !listed.includes(s)),
          [],
          `statuses the code has and the README ${saga} table lacks`,
        );
        assert.deepEqual(
          listed.filter((s) => !statuses.includes(s)),
          [],
          `statuses in the README ${saga} table the code does not have`,
        );
      });

      it('says what an operator does for every status', () => {
        for (const row of stateTable(README, saga)) {
          assert.ok(
            row.operatorDoes.length > 0,
            `README ${saga} table: what an operator does in ${row.status}`,
          );
        }
      });
    });
  }

  it('covers every saga the engine runs (workflows/sagas.ts), with the same status list', () => {
    assert.deepEqual(Object.keys(SAGA_STATUSES).sort(), [...SAGA_NAMES].sort(), 'one README table per saga');
    for (const saga of SAGA_NAMES) assert.equal(SAGA_STATUSES[saga], SAGAS[saga].statuses, saga);
  });

  it('has a table for no saga the code lacks', () => {
    const markers = [...README.matchAll(/<!-- states:([\w-]+) -->/g)].map((m) => m[1]!);
    assert.deepEqual(
      markers.filter((m) => !(m in SAGA_STATUSES)),
      [],
      'README state-table markers that name no saga',
    );
  });
});
