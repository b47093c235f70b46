import type { Rule } from '../types.ts';
import { lateScan } from './late-scan.ts';
import { shortPick } from './short-pick.ts';

/** Every exception type the detector runs. A new type is one file in this folder plus a line here. */
export const rules: readonly Rule[] = [lateScan, shortPick];
