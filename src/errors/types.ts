/**
 * Every error type wdsync puts on an ApplicationFailure, a webhook event or a summary. The
 * workflows branch on them (non-retryable lists), operators filter on them, so they are spelled
 * in one place.
 */
export const ErrorType = {
  WorkdayAuth: 'WorkdayAuthError',
  WorkdayValidation: 'WorkdayValidationError',
  WorkdayThrottled: 'WorkdayThrottled',
  WorkdayTransient: 'WorkdayTransient',
  WorkdayConfig: 'WorkdayConfigError',
  WorkdayContract: 'WorkdayContractViolation',
  /** Workday will not answer a page this large: the page workflow asks for it as smaller pages. */
  ResponseTooLarge: 'ResponseTooLarge',
  StagingMissing: 'StagingMissing',
  SinkNotConfigured: 'SinkNotConfigured',
  NoWatermark: 'NoWatermark',
  ReplayPlan: 'ReplayPlanError',
  ReleasePlan: 'ReleasePlanError',
  WorkerMisconfigured: 'WorkerMisconfigured',
  WrongConnection: 'WrongWorkdayConnection',
  PathOutsideRoot: 'PathOutsideRoot',
  PlanTooLarge: 'PlanTooLarge',
  InvalidRunId: 'InvalidRunId',
  Config: 'ConfigError',
  DatabaseUnavailable: 'DatabaseUnavailable',
  DatabaseRefused: 'DatabaseRefused',
  DatabaseStatement: 'DatabaseStatementError',
  InvalidData: 'InvalidData',
  KafkaUnavailable: 'KafkaUnavailable',
  KafkaRefused: 'KafkaRefused',
  PagesFailed: 'PagesFailed',
  SinkDeliveryFailed: 'SinkDeliveryFailed',
  ReconciliationMismatch: 'ReconciliationMismatch',
  DeadLetters: 'DeadLetters',
  ConsecutivePageFailures: 'ConsecutivePageFailures',
  DestructiveLimit: 'DestructiveLimit',
  SalesforceAuth: 'SalesforceAuthError',
  SalesforceRequestLimit: 'SalesforceRequestLimit',
  SalesforceRequest: 'SalesforceRequestError',
  /** Zendesk and Dataverse: credentials refused, a throttle too long to wait out, a request refused. */
  TargetAuth: 'TargetAuthError',
  TargetThrottled: 'TargetThrottled',
  TargetRequest: 'TargetRequestError',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * An error whose type and retryability the thrower knows. The activity interceptor turns it into
 * an ApplicationFailure of that type; outside Temporal it is an ordinary Error with a message.
 */
export class TypedError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = type;
  }
}
