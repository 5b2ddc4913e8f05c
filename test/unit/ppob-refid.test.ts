/**
 * The inquiry refid of a postpaid purchase: derived from the purchase's refid by a step the
 * gateway undoes, staying inside the refid space (1 .. 10^15 - 1), one to one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deriveRefid, inquiryRefidOf, isPpobRefid, purchaseRefidOfInquiry } from '../../providers/ppob/refid';

describe('PPOB inquiry refid', () => {
  it('is a refid, differs from the purchase refid, and leads back to it (edges of the space too)', () => {
    const edges = [1, 2, 499_999_999_999_999, 500_000_000_000_000, 500_000_000_000_001, 999_999_999_999_999];
    const derived = Array.from({ length: 200 }, (_, i) => deriveRefid(`ppob-order-${i}`));
    for (const refid of [...edges, ...derived]) {
      const inq = inquiryRefidOf(refid);
      assert.ok(isPpobRefid(inq), `${inq} is a refid`);
      assert.notEqual(inq, refid);
      assert.equal(purchaseRefidOfInquiry(inq), refid);
    }
    // Written out, so a change of the step is seen: the offset is half the space.
    assert.equal(inquiryRefidOf(1), 500_000_000_000_001);
    assert.equal(inquiryRefidOf(999_999_999_999_999), 500_000_000_000_000);
    assert.equal(purchaseRefidOfInquiry(1), 500_000_000_000_000);
  });

  it('one to one: two purchases never share an inquiry refid', () => {
    const refids = Array.from({ length: 500 }, (_, i) => deriveRefid(`o-${i}`));
    assert.equal(new Set(refids.map(inquiryRefidOf)).size, new Set(refids).size);
  });

  it('refuses what is not a refid', () => {
    for (const bad of [0, -1, 1e15, 1.5, Number.NaN]) {
      assert.throws(() => inquiryRefidOf(bad), TypeError);
      assert.throws(() => purchaseRefidOfInquiry(bad), TypeError);
    }
  });
});
