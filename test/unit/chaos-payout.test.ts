/**
 * The payout chaos module: its reconcile against AliKassa payouts made with the sandbox's own
 * state class (answered exactly as GET /_control/alikassa/stats and /alikassa/orders/payout/:id
 * answer), with the gateway's unmatched reports behind GET /v1/payments/:id; and its drive
 * against a fake gateway and sandbox.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../chaos/random';
import { payoutChaos } from '../../chaos/sagas/payout';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { AliKassaState, type PayoutOutcome } from '../../sandbox/alikassa/state';
import { payoutWorkflowId } from '../../workflows/payout-definitions';
import { unmatchedReportWorkflowId } from '../../workflows/unmatched-report';

const noop = () => undefined;

class Books {
  readonly ali = new AliKassaState(Date.now, noop);
  readonly views = new Map<string, unknown>();

  /** A payout created (the armed outcome taken), then finished by the lifecycle's timer unless `pending`. */
  payout(orderId: string, amount: number, outcome?: PayoutOutcome, pending = false): number {
    this.ali.countCreate('payout', orderId);
    if (outcome) this.ali.armPayoutOutcome(orderId, outcome);
    const created = this.ali.createPayout(
      {
        order_id: orderId,
        amount: amount.toFixed(2),
        service: 'payment_card_idr',
        customer_code: 'PMTB',
        number: '1234567890',
      },
      false,
    );
    if (!pending) this.ali.finishPayout(orderId);
    return created.id;
  }

  http(): Http {
    const control = async (path: string): Promise<unknown> => {
      if (path === 'alikassa/stats') return this.ali.stats();
      const m = /^alikassa\/orders\/payout\/(.+)$/.exec(path);
      if (m) {
        const id = decodeURIComponent(m[1]!);
        const record = this.ali.payout(id);
        if (!record) throw new Error(`sandbox ${path} -> HTTP 404: {"error":"no AliKassa payout '${id}'"}`);
        return record;
      }
      throw new Error(`fake sandbox: no control route ${path}`);
    };
    return {
      control: control as Http['control'],
      gateway: (async (method: string, path: string) => {
        const id = decodeURIComponent(path.replace(/^\/payments\//, ''));
        if (method === 'GET' && this.views.has(id)) return this.views.get(id);
        throw new GatewayError(404, `${method} ${path} -> HTTP 404`);
      }) as Http['gateway'],
      raw: async () => ({ status: 500, text: '' }),
    };
  }
}

function ended(
  orderId: string,
  amount: number,
  status: string | undefined,
  more: Partial<EndedPayment> = {},
): EndedPayment {
  return {
    saga: 'payout',
    method: 'bank-payout',
    workflowId: payoutWorkflowId(orderId),
    refs: { orderId, amount },
    marks: [],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...more,
  };
}

const kinds = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('chaos payout reconcile', () => {
  it('PAID_OUT paid once for its amount, FAILED failed or cancelled or never created: no finding', async () => {
    const b = new Books();
    b.payout('PO-PAID', 125_000);
    b.payout('PO-FAIL', 125_000, 'fail');
    b.payout('PO-CANCEL', 90_000, 'cancel');
    b.payout('PO-REVIEW', 90_000, undefined, true);
    // A create AliKassa refused (the order id taken): counted, no second payout.
    b.ali.countCreate('payout', 'PO-PAID');
    const findings = await payoutChaos.reconcile(b.http(), [
      ended('PO-PAID', 125_000, 'PAID_OUT'),
      ended('PO-FAIL', 125_000, 'FAILED'),
      ended('PO-CANCEL', 90_000, 'FAILED'),
      ended('PO-REFUSED', 90_000, 'FAILED'),
      ended('PO-REVIEW', 90_000, 'NEEDS_REVIEW'),
      ended('PO-NEVER', 90_000, undefined, { startError: 'no answer' }),
    ]);
    assert.deepEqual(findings, []);
  });

  it('PAID_OUT without a paid payout is lost, forged-accepted when a forged notification was sent', async () => {
    const b = new Books();
    b.payout('PO-NOTPAID', 125_000, 'fail');
    b.payout('PO-FORGED', 125_000, 'fail');
    const findings = await payoutChaos.reconcile(b.http(), [
      ended('PO-NOTPAID', 125_000, 'PAID_OUT'),
      ended('PO-FORGED', 125_000, 'PAID_OUT', { marks: ['forged'] }),
      ended('PO-NOWHERE', 125_000, 'PAID_OUT'),
    ]);
    assert.deepEqual(kinds(findings), ['forged-accepted', 'lost', 'lost']);
    assert.ok(findings.some((f) => /AliKassa has no payout 'PO-NOWHERE'/.test(f.detail)));
  });

  it('FAILED while AliKassa paid it out, or is still paying it out, is lost', async () => {
    const b = new Books();
    b.payout('PO-PAIDANYWAY', 125_000);
    b.payout('PO-STILLWAIT', 125_000, undefined, true);
    const findings = await payoutChaos.reconcile(b.http(), [
      ended('PO-PAIDANYWAY', 125_000, 'FAILED'),
      ended('PO-STILLWAIT', 125_000, 'FAILED'),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost']);
    assert.match(findings.map((f) => f.detail).join('\n'), /FAILED, but AliKassa paid it out/);
    assert.match(findings.map((f) => f.detail).join('\n'), /still paying it out \(wait\)/);
  });

  it('PAID_OUT of another amount, a failed start that paid, and a paid payout nobody started are lost', async () => {
    const b = new Books();
    b.payout('PO-AMOUNT', 100_000);
    b.payout('PO-STARTFAIL', 100_000);
    b.payout('PO-ORPHAN', 75_000);
    const findings = await payoutChaos.reconcile(b.http(), [
      ended('PO-AMOUNT', 125_000, 'PAID_OUT'),
      ended('PO-STARTFAIL', 100_000, undefined, { startError: 'no answer' }),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost', 'lost']);
    const orphan = findings.find((f) => f.workflowId === undefined)!;
    assert.match(
      orphan.detail,
      /paid out 75000\.00 for order PO-ORPHAN, which no payout of the campaign carries/,
    );
  });

  it('a replayed notification the payout had counted must not be filed as unmatched', async () => {
    const b = new Books();
    const id = b.payout('PO-REPLAYED', 125_000);
    const reference = `${id}-paid`;
    const workflowId = unmatchedReportWorkflowId('alikassa-payout', 'PO-REPLAYED');
    b.views.set(workflowId, {
      workflowId,
      status: 'NEEDS_REVIEW',
      key: 'PO-REPLAYED',
      reports: [
        { provider: 'alikassa-payout', key: 'PO-REPLAYED', status: 'paid', reference, receivedAt: '' },
      ],
      timeline: [],
    });
    const p = ended('PO-REPLAYED', 125_000, 'PAID_OUT', {
      marks: ['replayed'],
      refs: {
        orderId: 'PO-REPLAYED',
        amount: 125_000,
        replayedReference: reference,
        replayedAtStatus: 'PAID_OUT',
      },
      view: { status: 'PAID_OUT', providerId: String(id), providerStatus: 'paid' },
    });
    assert.deepEqual(kinds(await payoutChaos.reconcile(b.http(), [p])), ['forged-accepted']);
    b.views.delete(workflowId);
    assert.deepEqual(await payoutChaos.reconcile(b.http(), [p]), []);
  });
});

describe('chaos payout drive', () => {
  function world() {
    const sent: Array<{ path: string; body: unknown }> = [];
    const faults: FaultKind[] = [];
    const http: Http = {
      control: (async (path: string, body?: unknown) => {
        sent.push({ path, body });
        if (path.startsWith('alikassa/orders/payout/')) throw new Error(`sandbox ${path} -> HTTP 404: {}`);
        if (path === 'webhooks')
          return {
            webhooks: [
              {
                id: 'w',
                name: 'alikassa.payout',
                simulator: 'alikassa',
                orderId: 'CH-PO-run-9',
                mode: 'normal',
                state: 'delivered',
                delivered: true,
                body: 'type=payout&id=7&order_id=CH-PO-run-9&payment_status=paid&sign=zz',
              },
            ],
          };
        return {};
      }) as Http['control'],
      gateway: (async (method: string, path: string, body?: unknown) => {
        sent.push({ path, body });
        return method === 'POST' ? { workflowId: 'payout-CH-PO-run-9' } : { status: 'PAID_OUT' };
      }) as Http['gateway'],
      raw: async () => ({ status: 500, text: '' }),
    };
    return { http, sent, faults };
  }
  const ctx = (w: ReturnType<typeof world>, seed: number): DriveContext => ({
    http: w.http,
    rng: createRng(seed),
    id: 'run-9',
    gatewayUrl: '',
    sandboxUrl: '',
    klink: { baseUrl: '', email: '', password: '' },
    fault: (k) => w.faults.push(k),
    sleep: async () => undefined,
  });

  it('every variant starts one payout with short polls; forged and replayed notifications as their variant says', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const w = world();
      const p = await payoutChaos.drive(ctx(w, seed), 'bank-payout');
      const variant = String(p.refs.variant);
      seen.add(variant);
      const starts = w.sent.filter((s) => s.path === '/alikassa/payouts');
      assert.equal(starts.length, 1);
      assert.deepEqual(
        { ...(starts[0]!.body as object), accountNumber: 'x', firstName: 'x', lastName: 'x', amount: 0 },
        {
          orderId: 'CH-PO-run-9',
          amount: 0,
          bankCode: p.refs.bankCode,
          accountNumber: 'x',
          firstName: 'x',
          lastName: 'x',
          pollSeconds: 1,
          finalDeadlineSeconds: 45,
        },
      );
      const outcome = w.sent.find((s) => s.path === 'alikassa/payout-outcome')?.body;
      const raws = w.sent
        .filter((s) => s.path === 'webhooks/send-raw')
        .map((s) => s.body as { sign: string; body: string });
      if (variant === 'fail' || variant === 'forged')
        assert.deepEqual(outcome, { order_id: 'CH-PO-run-9', outcome: 'fail' });
      if (variant === 'maintenance') assert.equal(p.refs.bankCode, 'BSI');
      if (variant === 'forged') {
        assert.equal(raws.length, 1);
        assert.notEqual(raws[0]!.sign, 'valid');
        assert.match(raws[0]!.body, /type=payout&id=\d+&order_id=CH-PO-run-9&payment_status=paid/);
        assert.deepEqual(w.faults, ['webhook-forged']);
      } else if (variant === 'replay') {
        assert.ok(
          raws.length >= 1 &&
            raws.every(
              (r) =>
                r.sign === 'valid' && r.body === 'type=payout&id=7&order_id=CH-PO-run-9&payment_status=paid',
            ),
        );
        assert.equal(p.refs.replayedReference, '7-paid');
        assert.deepEqual(w.faults, ['webhook-replayed']);
      } else {
        assert.deepEqual(raws, []);
        assert.deepEqual(w.faults, []);
      }
    }
    assert.deepEqual([...seen].sort(), ['cancel', 'fail', 'forged', 'maintenance', 'paid', 'replay']);
  });
});
