/** Every saga's chaos module: the campaign drives and reconciles each one it is given. */
import type { ChaosSaga } from '../types';
import { klinkRefundChaos } from './klink-refund';
import { kwalletTransferChaos } from './kwallet-transfer';
import { payoutChaos } from './payout';
import { ppobChaos } from './ppob';
import { prakerjaChaos } from './prakerja';
import { transferChaos } from './transfer';

export const CHAOS_SAGAS: readonly ChaosSaga[] = [
  prakerjaChaos,
  klinkRefundChaos,
  ppobChaos,
  transferChaos,
  payoutChaos,
  kwalletTransferChaos,
];
