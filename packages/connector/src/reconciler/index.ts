export { SyncReconciler, DEFAULT_RECONCILER_OPTIONS, type SyncReconcilerOptions, type SyncInquirer, type InquiryEvent, type InquiryVerdict } from './reconciler.js'
export { DEFAULT_INQUIRY_SCHEDULE, inquiryBackoff, type InquirySchedule } from './schedule.js'
