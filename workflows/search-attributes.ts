/**
 * The custom search attributes every saga keeps current, so an operator can filter payments in
 * the Web UI and with `temporal workflow list --query`. Never put a secret or personal data in
 * one: search attributes are indexed in plaintext (the payload codec does not cover them).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_PROVIDER = defineSearchAttributeKey('PaysagaProvider', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('PaysagaStatus', SearchAttributeType.KEYWORD);
export const SA_ORDER_ID = defineSearchAttributeKey('PaysagaOrderId', SearchAttributeType.KEYWORD);
export const SA_AMOUNT = defineSearchAttributeKey('PaysagaAmount', SearchAttributeType.INT);
export const SA_NEEDS_REVIEW = defineSearchAttributeKey('PaysagaNeedsReview', SearchAttributeType.BOOL);

/** The provider's own reference for the payment (PPOB refid, ...): how a callback finds its saga. */
export const SA_PROVIDER_REF = defineSearchAttributeKey('PaysagaProviderRef', SearchAttributeType.KEYWORD);

export const PAYSAGA_SEARCH_ATTRIBUTES = [
  SA_PROVIDER,
  SA_STATUS,
  SA_ORDER_ID,
  SA_AMOUNT,
  SA_NEEDS_REVIEW,
  SA_PROVIDER_REF,
] as const;
