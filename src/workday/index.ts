// The Workday client's public surface. Import from here; the modules behind it may move.
export { createWorkdayClient } from './client';
export type { GetWorkersPageOptions, PageResult, WorkdayClient, WorkdayClientDeps } from './client';
export { Secret, WorkdayConfigSchema, describeWorkdayConfig, parseWorkdayConfig, tenantOf } from './config';
export type { WorkdayConfig, WorkdayConfigInput } from './config';
export {
  WorkdayAuthError,
  WorkdayConfigError,
  WorkdayError,
  WorkdayThrottledError,
  WorkdayTransientError,
  WorkdayValidationError,
  classifyFault,
  classifyHttpResponse,
  findFault,
  isRetryable,
  isWorkdayError,
  parseRetryAfter,
  retryDelayMs,
  toWorkdayError,
} from './errors';
export type { AnyWorkdayError, TransientReason, ValidationErrorDetail, WorkdayErrorKind } from './errors';
export { createOAuthTokenProvider } from './oauth';
export type { TokenProvider } from './oauth';
export { createPageParser, parsePage } from './parse';
export type { PageParser, ParsedPage } from './parse';
export { familyOfVersion } from './schema-family';
export type { SchemaFamily } from './schema-family';
export {
  GetWorkersRequest,
  ResponseGroup,
  buildGetWorkersEnvelope,
  parseGetWorkersRequest,
} from './request';
export type { EnvelopeAuth, GetWorkersRequestInput, WorkerRefType } from './request';
