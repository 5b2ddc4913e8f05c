/**
 * Since the kernel's 'kernel-upserts-changes-only' patch, a saga upserts only search attributes
 * whose value changes (the client sets them all at start). Checked on the recorded histories of
 * every saga version recorded since: no upsert writes a value the execution already held, and the
 * histories recorded before the patch still upsert unchanged values (so the check can tell them
 * apart and is not vacuous).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, 'histories');
const PATCH = 'kernel-upserts-changes-only';
/** Written by the SDK's core when a patch is first used, not by saga code. */
const CORE_KEY = 'TemporalChangeVersion';

interface EncodedPayload {
  data?: string;
}
interface HistoryEvent {
  workflowExecutionStartedEventAttributes?: {
    searchAttributes?: { indexedFields?: Record<string, EncodedPayload> };
  };
  upsertWorkflowSearchAttributesEventAttributes?: {
    searchAttributes?: { indexedFields?: Record<string, EncodedPayload> };
  };
  markerRecordedEventAttributes?: { details?: Record<string, { payloads?: EncodedPayload[] }> };
}

const decode = (p: EncodedPayload): string => Buffer.from(p.data ?? '', 'base64').toString('utf8');

function events(file: string): HistoryEvent[] {
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: HistoryEvent[] };
  return json.events;
}

function hasPatch(evs: HistoryEvent[]): boolean {
  return evs.some((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
      (d.payloads ?? []).some((p) => decode(p).includes(`"${PATCH}"`)),
    ),
  );
}

/** Every upserted search attribute whose value equals the one held before it (start or upsert). */
function unchangedUpserts(evs: HistoryEvent[]): string[] {
  const held = new Map<string, string>();
  for (const [k, p] of Object.entries(
    evs[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {},
  ))
    held.set(k, decode(p));
  const unchanged: string[] = [];
  for (const e of evs) {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    for (const [k, p] of Object.entries(fields)) {
      if (k !== CORE_KEY && held.get(k) === decode(p)) unchanged.push(`${k}=${decode(p)}`);
      held.set(k, decode(p));
    }
  }
  return unchanged;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const patched = files.filter((f) => hasPatch(events(f)));
const before = files.filter((f) => !hasPatch(events(f)));

describe('search-attribute upserts in recorded histories', () => {
  it('every saga has histories recorded with the patch, and some recorded before it', () => {
    for (const saga of [
      'prakerja',
      'klink-refund',
      'ppob',
      'transfer',
      'payout',
      'kwallet-transfer',
      'unmatched',
    ])
      assert.ok(
        patched.some((f) => f.startsWith(`${saga}-v`)),
        `a ${saga} history recorded with ${PATCH}`,
      );
    assert.ok(
      before.some((f) => unchangedUpserts(events(f)).length > 0),
      'a history before the patch re-upserts',
    );
  });

  for (const file of patched) {
    it(`${file} upserts only values that change`, () => {
      assert.deepEqual(unchangedUpserts(events(file)), []);
    });
  }
});
