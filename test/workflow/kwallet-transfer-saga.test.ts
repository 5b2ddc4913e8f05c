/**
 * The K-Wallet transfer saga on a real Temporal dev server, with the real K-Link activities
 * (activities/klink.ts: the send sorted by outcome, the history search) over a scripted K-Link
 * client that keeps a small book of movements. What must hold: an unclear send confirmed by
 * history is one transfer; one history cannot settle parks and is never sent again; a refusal is
 * FAILED; only a send that never reached K-Link is sent again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKLinkActivities } from '../../activities/klink';
import { ProviderRejection, ProviderTransportError } from '../../providers/http/errors';
import type { KLinkClient, TransferInput } from '../../providers/klink/client';
import type { HistoryEntry } from '../../providers/klink/schemas';
import { wibDateTime } from '../../providers/klink/client';
import type { KWalletTransferView } from '../../workflows/kwallet-transfer-definitions';
import { SA_NEEDS_REVIEW } from '../../workflows/search-attributes';
import { useSagaTestEnv } from '../helpers/test-env';

type Behaviour = 'ok' | 'timeout-after-commit' | 'timeout-before-commit' | 'refused' | 'not-sent-once';
/** Per transfer id (found in the description): how K-Link behaves, and what it did. */
const behaviour = new Map<string, Behaviour>();
const sends = new Map<string, number>();
const book: { member: string; row: HistoryEntry }[] = [];

function idOf(description: string): string {
  return /paysaga:(\S+?)\]/.exec(description)![1]!;
}

function post(member: string, direction: 'in' | 'out', amount: number, description: string): void {
  book.push({
    member,
    row: {
      datetime: wibDateTime(Date.now()),
      description,
      debit: direction === 'in' ? amount : 0,
      credit: direction === 'out' ? amount : 0,
      balance: 1_000_000,
    },
  });
}

function commit(input: TransferInput): void {
  post(input.idMemberSend, 'out', input.amount, input.description);
  post(input.idMemberReceipt, 'in', input.amount, input.description);
}

const klink = {
  async transfer(input: TransferInput) {
    const id = idOf(input.description);
    const n = (sends.get(id) ?? 0) + 1;
    sends.set(id, n);
    switch (behaviour.get(id) ?? 'ok') {
      case 'refused':
        throw new ProviderRejection(
          'klink',
          'transfer',
          200,
          'INSUFFICIENT_BALANCE',
          'Saldo tidak mencukupi',
          'final',
          false,
        );
      case 'timeout-after-commit':
        commit(input);
        throw new ProviderTransportError('klink', 'transfer', 'timeout', 'maybe', 'no answer in 30000 ms');
      case 'timeout-before-commit':
        throw new ProviderTransportError('klink', 'transfer', 'timeout', 'maybe', 'no answer in 30000 ms');
      case 'not-sent-once':
        if (n === 1)
          throw new ProviderTransportError('klink', 'transfer', 'connection-refused', 'no', 'ECONNREFUSED');
    }
    commit(input);
    return { message: `Payment transfer ${input.idMemberSend} to account ${input.idMemberReceipt}!` };
  },
  async history(input: { idMember: string }) {
    return {
      message: 'Saldo berhasil ditampilkan!',
      transactions: book.filter((b) => b.member === input.idMember).map((b) => b.row),
    };
  },
} as unknown as KLinkClient;

describe('K-Wallet transfer saga', () => {
  const harness = useSagaTestEnv(createKLinkActivities(klink));

  const start = async (b: Behaviour, amount = 75_000) => {
    const transferId = `T-${randomUUID().slice(0, 8)}`;
    behaviour.set(transferId, b);
    const answer = await harness.paysaga.startKWalletTransfer({
      transferId,
      idMemberSend: `S-${transferId}`,
      idMemberReceipt: `R-${transferId}`,
      amount,
      description: 'uang makan',
      confirmDelaysSeconds: [0, 1],
    });
    return { transferId, answer };
  };
  const view = (id: string) => harness.paysaga.status<KWalletTransferView>(`kwallet-transfer-${id}`);
  const until = async (id: string, status: string) => {
    for (let i = 0; i < 150 && (await view(id)).status !== status; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await view(id)).status, status);
    return view(id);
  };

  it('success: TRANSFERRED from the answer, in the start call', async () => {
    const { transferId, answer } = await start('ok');
    assert.equal(answer.status, 'TRANSFERRED');
    assert.equal(answer.settledBy, 'answer');
    assert.equal(sends.get(transferId), 1);
    // A repeated start finds the same transfer: nothing is sent again.
    const again = await harness.paysaga.startKWalletTransfer({
      transferId,
      idMemberSend: `S-${transferId}`,
      idMemberReceipt: `R-${transferId}`,
      amount: 75_000,
      description: 'uang makan',
    });
    assert.equal(again.status, 'TRANSFERRED');
    assert.equal(sends.get(transferId), 1);
  });

  it('timeout after K-Link booked it: confirmed by both histories, sent once', async () => {
    const { transferId, answer } = await start('timeout-after-commit');
    assert.equal(answer.status, 'CONFIRMING');
    const done = await until(transferId, 'TRANSFERRED');
    assert.equal(done.settledBy, 'history');
    assert.equal(done.movement?.direction, 'out');
    assert.equal(done.movement?.amount, 75_000);
    assert.equal(sends.get(transferId), 1, 'never sent again');
  });

  it('timeout and history shows nothing: parks, never sent again; recheck after K-Link books it settles', async () => {
    const { transferId } = await start('timeout-before-commit');
    const parked = await until(transferId, 'NEEDS_REVIEW');
    assert.match(parked.review!.reason, /history cannot settle it/);
    assert.deepEqual(parked.review!.actions, ['recheck', 'mark-transferred', 'mark-failed']);
    const described = await harness.env.client.workflow
      .getHandle(`kwallet-transfer-${transferId}`)
      .describe();
    assert.equal(described.typedSearchAttributes.get(SA_NEEDS_REVIEW), true);
    assert.equal(sends.get(transferId), 1);

    // A recheck while history still shows nothing parks again.
    const still = await harness.paysaga.review<KWalletTransferView>(`kwallet-transfer-${transferId}`, {
      action: 'recheck',
      operator: 'ana',
      note: 'asked K-Link, they are looking',
    });
    assert.equal(still.status, 'NEEDS_REVIEW');
    // K-Link books it late (a slow commit); the next recheck finds it.
    commit({
      idMemberSend: `S-${transferId}`,
      idMemberReceipt: `R-${transferId}`,
      amount: 75_000,
      description: parked.description,
    });
    const done = await harness.paysaga.review<KWalletTransferView>(`kwallet-transfer-${transferId}`, {
      action: 'recheck',
      operator: 'ana',
      note: 'K-Link says it went through',
    });
    assert.equal(done.status, 'TRANSFERRED');
    assert.equal(done.settledBy, 'history');
    assert.equal(sends.get(transferId), 1);
  });

  it('a row with the amount but not our reference is a candidate, never a confirmation', async () => {
    const transferId = `T-${randomUUID().slice(0, 8)}`;
    // Same sender, same amount, someone else's description, just now.
    post(`S-${transferId}`, 'out', 75_000, 'XXXXX success Jubaidah Transfer Debit');
    behaviour.set(transferId, 'timeout-before-commit');
    await harness.paysaga.startKWalletTransfer({
      transferId,
      idMemberSend: `S-${transferId}`,
      idMemberReceipt: `R-${transferId}`,
      amount: 75_000,
      description: 'uang makan',
      confirmDelaysSeconds: [0, 1],
    });
    const parked = await until(transferId, 'NEEDS_REVIEW');
    assert.match(parked.review!.reason, /without reference/);
    assert.equal(parked.candidates?.length, 1);
    const failed = await harness.paysaga.review<KWalletTransferView>(`kwallet-transfer-${transferId}`, {
      action: 'mark-failed',
      operator: 'ana',
      note: 'that row is an older transfer; K-Link confirms ours never arrived',
    });
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.settledBy, 'operator');
  });

  it('refused by K-Link: FAILED, nothing sent again', async () => {
    const { transferId, answer } = await start('refused');
    assert.equal(answer.status, 'FAILED');
    assert.match((await view(transferId)).timeline.at(-1)!.note, /INSUFFICIENT_BALANCE/);
    assert.equal(sends.get(transferId), 1);
  });

  it('never reached K-Link: sent again, once it arrives it is one transfer', async () => {
    const { transferId, answer } = await start('not-sent-once');
    assert.equal(answer.status, 'TRANSFERRED');
    assert.equal(sends.get(transferId), 2);
    assert.equal(book.filter((b) => b.row.description.includes(transferId) && b.row.credit > 0).length, 1);
  });

  it('refuses bad input with a clear message', async () => {
    await assert.rejects(
      harness.paysaga.startKWalletTransfer({
        transferId: 'T-x',
        idMemberSend: 'A',
        idMemberReceipt: 'A',
        amount: 1,
        description: 'x',
      }),
      /idMemberReceipt: must differ from idMemberSend/,
    );
    await assert.rejects(
      harness.paysaga.startKWalletTransfer({
        transferId: 'T-x',
        idMemberSend: 'A',
        idMemberReceipt: 'B',
        description: 'x',
      }),
      /amount is required/,
    );
  });
});
