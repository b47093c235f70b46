import { readFile } from 'node:fs/promises';
import { ConfigError, type Logger, readPolicyText } from '../../core/mod.ts';
import { type ActivePolicy, activePolicyFrom, builtinActivePolicy, policyTextHash } from './version.ts';

export type PolicyChangeListener = (next: ActivePolicy, prev: ActivePolicy) => void;
export type PolicyRejectedListener = (error: ConfigError, file: string) => void;

/** What one look at the file found. */
export type PolicyCheckResult = 'unchanged' | 'changed' | 'rejected';

/**
 * Holds the active policy and swaps it when the file changes (hot reload).
 *
 * - `current()` returns the published ActivePolicy; the holder never mutates one, it only replaces the
 *   reference, so a decision in flight keeps deciding with the object it started with.
 * - A changed file that does not parse is refused: logged with the reason, `onRejected` listeners told,
 *   and the old version stays current. The same bad content is reported once, not on every poll.
 * - Watching polls the file's content hash (a stat+read loop): inotify-style events are unreliable on
 *   overlay and network filesystems, and mtime alone misses two saves within its granularity.
 */
export class PolicyHolder {
  readonly file: string | undefined;
  #active: ActivePolicy;
  #hash: string;
  /** Hash of the last content refused (or '' after a read failure), so it is reported once. */
  #rejectedHash: string | undefined;
  #changeListeners = new Set<PolicyChangeListener>();
  #rejectedListeners = new Set<PolicyRejectedListener>();
  #timer: NodeJS.Timeout | undefined;
  #logger: Logger | undefined;
  #stopped = false;
  #inFlight: Promise<PolicyCheckResult> | undefined;

  private constructor(file: string | undefined, active: ActivePolicy) {
    this.file = file;
    this.#active = active;
    this.#hash = policyTextHash(active.text);
  }

  /** Loads `file` now (throws ConfigError/PolicyError when it cannot be used); undefined = the built-in defaults. */
  static fromFile(file: string | undefined): PolicyHolder {
    if (!file) return new PolicyHolder(undefined, builtinActivePolicy());
    return new PolicyHolder(file, activePolicyFrom(readPolicyText(file), file));
  }

  current(): ActivePolicy {
    return this.#active;
  }

  /** Called after each swap with the new and the previous policy. Returns an unsubscribe function. */
  onChange(listener: PolicyChangeListener): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Called when a changed file is refused, with the error naming path/value/expectation. */
  onRejected(listener: PolicyRejectedListener): () => void {
    this.#rejectedListeners.add(listener);
    return () => this.#rejectedListeners.delete(listener);
  }

  /**
   * Polls the file every `intervalMs` (0, or no file: no watching). One poll at a time: the next is
   * scheduled when the previous finished. The timer does not keep the process alive.
   */
  watch(opts: { intervalMs: number; logger?: Logger }): void {
    this.#logger = opts.logger;
    if (!this.file || opts.intervalMs <= 0 || this.#timer || this.#stopped) return;
    const loop = () => {
      this.#timer = setTimeout(() => {
        void this.check().finally(() => {
          if (!this.#stopped) loop();
        });
      }, opts.intervalMs);
      this.#timer.unref();
    };
    loop();
    this.#logger?.info(
      { file: this.file, intervalMs: opts.intervalMs },
      'policy: watching the file for changes',
    );
  }

  /** One look at the file: swap when its content changed and parses. Also usable on demand (e.g. SIGHUP). */
  check(): Promise<PolicyCheckResult> {
    // Concurrent callers share one look, so one change is published (and announced) once.
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #check(): Promise<PolicyCheckResult> {
    const file = this.file;
    if (!file) return 'unchanged';
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      // A file being replaced may be briefly missing; keep the current policy and say so once.
      return this.#refuse(
        new ConfigError('POLICY_FILE', `POLICY_FILE=${file}: cannot read the file`, { cause }),
        '',
      );
    }
    const hash = policyTextHash(text);
    if (hash === this.#hash) {
      this.#rejectedHash = undefined;
      return 'unchanged';
    }
    if (hash === this.#rejectedHash) return 'rejected';
    let next: ActivePolicy;
    try {
      next = activePolicyFrom(text, file);
    } catch (err) {
      if (err instanceof ConfigError) return this.#refuse(err, hash);
      throw err;
    }
    const prev = this.#active;
    // The swap is one reference assignment: readers see the old or the new object, never a mix.
    this.#active = next;
    this.#hash = hash;
    this.#rejectedHash = undefined;
    this.#logger?.info(
      { file, policyVersion: next.version, previousVersion: prev.version },
      'policy: reloaded; new decisions use the new version',
    );
    for (const listener of this.#changeListeners) {
      try {
        listener(next, prev);
      } catch (err) {
        this.#logger?.error({ err }, 'policy: a change listener failed');
      }
    }
    return 'changed';
  }

  #refuse(error: ConfigError, hash: string): PolicyCheckResult {
    if (hash === this.#rejectedHash) return 'rejected';
    this.#rejectedHash = hash;
    const file = this.file ?? '';
    this.#logger?.error(
      { file, reason: error.message, policyVersion: this.#active.version },
      'policy: the changed file was refused; the current version stays active',
    );
    for (const listener of this.#rejectedListeners) {
      try {
        listener(error, file);
      } catch (err) {
        this.#logger?.error({ err }, 'policy: a rejection listener failed');
      }
    }
    return 'rejected';
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
