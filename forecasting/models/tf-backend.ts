import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfModule from '@tensorflow/tfjs';

export type Tf = typeof TfModule;

export interface LoadedTf {
  readonly tf: Tf;
  /** 'tensorflow' (tfjs-node, native), 'wasm' or 'cpu'. */
  readonly backend: string;
}

let loading: Promise<LoadedTf> | undefined;

/**
 * TensorFlow.js on the fastest backend available: @tensorflow/tfjs-node when the user installed it (it
 * cannot be installed everywhere: its installer downloads libtensorflow), else the WASM backend.
 * Loaded once per process, on first use, so commands that never train pay nothing.
 */
export function loadTf(): Promise<LoadedTf> {
  loading ??= load();
  return loading;
}

async function load(): Promise<LoadedTf> {
  const native = await importOptional('@tensorflow/tfjs-node');
  if (native) return { tf: native, backend: native.getBackend() };
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  // The package's main file sits in dist/ beside its .wasm binaries; a file path works in Node.
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
  if (await tf.setBackend('wasm')) return { tf, backend: 'wasm' };
  await tf.setBackend('cpu');
  return { tf, backend: 'cpu' };
}

async function importOptional(specifier: string): Promise<Tf | undefined> {
  try {
    // A specifier held in a variable: the type checker and bundlers must not require the package.
    const mod: unknown = await import(specifier);
    return isTf(mod) ? mod : undefined;
  } catch {
    return undefined;
  }
}

function isTf(mod: unknown): mod is Tf {
  if (mod === null || typeof mod !== 'object') return false;
  return ['sequential', 'tensor2d', 'getBackend', 'setBackend'].every(
    (k) => typeof (mod as Record<string, unknown>)[k] === 'function',
  );
}
