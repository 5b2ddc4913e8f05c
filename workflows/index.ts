/** The workflow bundle's entry: every saga the worker hosts. */
export { prakerjaPaymentWorkflow } from './prakerja-payment';
export { klinkEscrowRefundWorkflow } from './klink-escrow-refund';
