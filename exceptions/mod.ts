// Public entry of the exceptions module.
export { Detector, type DetectorOptions, type EventOutcome } from './detector.ts';
export { registerExceptionRoutes } from './http.ts';
export { assign, resolve } from './lifecycle.ts';
export { type DetectorProcess, startDetectorProcess } from './processor.ts';
export { rules } from './rules/index.ts';
export { countExceptionsByType, getException, queryExceptions, startExceptionSink } from './store.ts';
export type { ExceptionDraft, Rule, RuleContext } from './types.ts';
