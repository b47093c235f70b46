/**
 * The global model's name, on its own so that the registry (and the per-lane worker threads that load it)
 * need not load the TensorFlow.js model and, through it, the shared core with its drivers.
 */
export const GLOBAL_TF = 'tf-global';
