/** The workflow bundle's entry: every saga the worker hosts. */
export { prakerjaPaymentWorkflow } from './prakerja-payment';
export { klinkEscrowRefundWorkflow } from './klink-escrow-refund';
export { ppobPurchaseWorkflow } from './ppob-purchase';
export { unmatchedReportWorkflow } from './unmatched-report';
export { payByTransferWorkflow } from './pay-by-transfer';
export { alikassaPayoutWorkflow } from './alikassa-payout';
export { kwalletTransferWorkflow } from './kwallet-transfer';
export { kwalletOperationWorkflow } from './kwallet-operation';
// Not a saga: the OTP guessing budget the Prakerja saga asks before each authorize.
export { otpBudgetWorkflow } from './otp-budget';
