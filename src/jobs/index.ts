export { type AddJobOptions, addJob } from './add-job';
export { TRACE_CONTEXT_KEY, takeTraceContext } from './trace-context';
