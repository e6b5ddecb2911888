export { type AddJobOptions, addJob } from './add-job';
