import type { Logger, Store } from '../../core/mod.ts';
import { importCustomers, loadCustomers, type StoredCustomer } from './store.ts';
import type { CustomerEntry } from './types.ts';

export interface DirectoryOptions {
  /** How often the cache re-reads the table (other processes import too); 0 = only after imports. */
  readonly refreshMs?: number;
  readonly logger: Logger;
}

/**
 * The customer directory as the write-back reads it: an in-memory copy of the `customers` table, so a
 * decision never waits on ClickHouse. Refreshed every `refreshMs` and right after an import through it.
 * A failed refresh keeps the last good copy (and logs why): decisions go on with slightly old ownership
 * rather than stopping.
 */
export class CustomerDirectory {
  private byId = new Map<string, StoredCustomer>();
  private timer: NodeJS.Timeout | undefined;
  /** Refreshes may overlap (timer + import): only a newer read replaces the copy. */
  private started = 0;
  private applied = 0;

  private constructor(
    private readonly store: Store,
    private readonly database: string,
    private readonly logger: Logger,
  ) {}

  static async open(store: Store, database: string, opts: DirectoryOptions): Promise<CustomerDirectory> {
    const dir = new CustomerDirectory(store, database, opts.logger.child({ mod: 'directory' }));
    await dir.refresh();
    const every = opts.refreshMs ?? 30_000;
    if (every > 0) {
      dir.timer = setInterval(() => {
        dir.refresh().catch((err: unknown) => dir.logger.warn({ err }, 'customer directory refresh failed'));
      }, every);
      dir.timer.unref();
    }
    return dir;
  }

  get(customerId: string): StoredCustomer | undefined {
    return this.byId.get(customerId);
  }

  all(): StoredCustomer[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** Stores the entries (the latest import of a customer wins), then re-reads the table. */
  async import(
    entries: readonly CustomerEntry[],
    source: string,
  ): Promise<{ imported: number; importedAt: string }> {
    const result = await importCustomers(this.store, this.database, entries, source);
    await this.refresh();
    this.logger.info({ imported: result.imported, source, customers: this.size }, 'customers imported');
    return result;
  }

  async refresh(): Promise<void> {
    const ticket = ++this.started;
    const rows = await loadCustomers(this.store, this.database, {
      onInvalid: (customerId, problem) =>
        this.logger.warn({ customerId, problem }, 'stored customer row is not a valid entry: skipped'),
    });
    if (ticket < this.applied) return;
    this.applied = ticket;
    this.byId = new Map(rows.map((c) => [c.customerId, c]));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export { loadCustomersFile } from './files.ts';
