export { type AnyCollections, createClient, BacklotClient, type ClientOptions, type CollectionFields } from './client.js';
export { Auth, type AuthMode, type AuthOptions, type SignIn } from './auth.js';
export { type AuthState, type AuthStore, LocalStorageStore, MemoryStore } from './auth-store.js';
export { type FileToken, Files, type StoredFile } from './files.js';
export { and, field, FieldName, Filter, filter, type FilterValue, or } from './filter.js';
export { type CallOptions, type HttpAnswer, type HttpRequest, type QueryValue, Transport, type TransportOptions } from './http.js';
export { type ProgressListener, type UploadProgress } from './progress.js';
export { type ResumableOptions, UploadOutcomeUnknownError, type UploadResult, type UploadTarget } from './uploads.js';
export { type FieldProblem, type ProblemBody, ProblemError } from './problem.js';
export {
  type Identity,
  type ProviderInfo,
  type ProviderOutcome,
  Providers,
  ProviderSignInError,
  type StartOptions,
  type VerifierStorage,
} from './providers.js';
export { Realtime, type RecordEvent, type SubscribeOptions, type Subscription } from './realtime.js';
export {
  type AggregateOptions,
  type BatchOperation,
  type BatchResult,
  Collection,
  type CreateOptions,
  type ExportOptions,
  type ImportOptions,
  type ImportResult,
  type FileInput,
  type FileParts,
  type ListOptions,
  type Page,
  type ReadOptions,
  type RecordBase,
  type RecordData,
  type RecordOf,
  type WriteOptions,
} from './records.js';
