// Moved to core (the exceptions lifecycle uses it too); kept here so write-back imports stay short.
export { JsonKv, type Versioned } from '../../core/mod.ts';
