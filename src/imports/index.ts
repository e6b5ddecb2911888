/** What other code (tasks, the CLI, web routes) may use of the imports domain. */
export { failJob as failImportJob } from './lifecycle';
export { ImportJob } from './models';
export { ImportInterrupted, processImport } from './processor';
export { removeStaleUploads } from './uploads';
