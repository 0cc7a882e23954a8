export type { BatonErrorCode } from './errors.js';
export { BatonError, isBatonError } from './errors.js';
