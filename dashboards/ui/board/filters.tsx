import { useEffect, useState } from 'preact/hooks';
import { setParams } from '../shared/router.ts';
import { ages, type Filters, severityChoices, tiers, typeLabel, types } from './model.ts';

export interface FilterBarProps {
  readonly filters: Filters;
  readonly warehouses: readonly string[];
  readonly lanes: readonly string[];
  readonly customers: readonly string[];
}

const AGE_LABEL: Record<string, string> = {
  '15m': 'Older than 15 min',
  '1h': 'Older than 1 h',
  '4h': 'Older than 4 h',
  '1d': 'Older than 1 day',
};

/** Writes one filter into the URL (the board reloads from it; a link shares the view). */
const set = (key: string, value: string) => setParams({ [key]: value }, { replace: false });

/** A text filter with suggestions, applied on Enter or when it loses focus (not on every key). */
function TextFilter(p: {
  id: string;
  label: string;
  param: string;
  value: string;
  options: readonly string[];
}) {
  const [draft, setDraft] = useState(p.value);
  useEffect(() => setDraft(p.value), [p.value]);
  const apply = () => {
    if (draft.trim() !== p.value) set(p.param, draft.trim());
  };
  return (
    <label for={p.id}>
      {p.label}
      <input
        id={p.id}
        type="search"
        list={`${p.id}-options`}
        value={draft}
        size={10}
        autocomplete="off"
        onInput={(e) => setDraft(e.currentTarget.value)}
        onChange={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
        }}
      />
      <datalist id={`${p.id}-options`}>
        {p.options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </label>
  );
}

function Select(p: {
  id: string;
  label: string;
  param: string;
  value: string;
  options: readonly { value: string; label: string }[];
}) {
  return (
    <label for={p.id}>
      {p.label}
      <select id={p.id} value={p.value} onChange={(e) => set(p.param, e.currentTarget.value)}>
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A select's choices: "any" (the empty value) first, then each value with its label. */
function choices(anyLabel: string, values: readonly string[], label = (v: string) => v) {
  return [{ value: '', label: anyLabel }, ...values.map((v) => ({ value: v, label: label(v) }))];
}

/** Wide screens show the filters; on a phone they start folded (the list comes first). */
const wide = !matchMedia('(max-width: 800px)').matches;

/** The board's filters, all kept in the URL, and its view: the sort, incidents first or not. */
export function FilterBar(p: FilterBarProps) {
  const f = p.filters;
  const warehouses = [...new Set([...p.warehouses, ...(f.warehouseId ? [f.warehouseId] : [])])].sort();
  const chosen = [f.warehouseId, f.lane, f.customerId, f.customerTier, f.type, f.severity, f.olderThan];
  const active = chosen.filter(Boolean).length;
  return (
    <details class="bd-filter-box" open={wide}>
      <summary>Filters{active ? ` (${active} set)` : ''}</summary>
      <form class="toolbar bd-filters" aria-label="Filter the board" onSubmit={(e) => e.preventDefault()}>
        <Select
          id="f-warehouse"
          label="Warehouse"
          param="warehouseId"
          value={f.warehouseId}
          options={choices('Any warehouse', warehouses.filter(Boolean))}
        />
        <TextFilter id="f-lane" label="Lane" param="lane" value={f.lane} options={p.lanes} />
        <TextFilter
          id="f-customer"
          label="Customer"
          param="customerId"
          value={f.customerId}
          options={p.customers}
        />
        <Select
          id="f-tier"
          label="Tier"
          param="customerTier"
          value={f.customerTier}
          options={choices('Any tier', tiers)}
        />
        <Select
          id="f-type"
          label="Type"
          param="type"
          value={f.type}
          options={choices('Any type', types, typeLabel)}
        />
        <Select
          id="f-severity"
          label="Severity"
          param="severity"
          value={f.severity}
          options={severityChoices}
        />
        <Select
          id="f-status"
          label="Status"
          param="status"
          value={f.status === 'active' ? '' : f.status}
          options={[
            { value: '', label: 'Open or assigned' },
            { value: 'open', label: 'Open' },
            { value: 'assigned', label: 'Assigned' },
            { value: 'resolved', label: 'Resolved' },
            { value: 'all', label: 'All' },
          ]}
        />
        <Select
          id="f-age"
          label="Age"
          param="olderThan"
          value={f.olderThan}
          options={choices('Any age', ages, (a) => AGE_LABEL[a] ?? a)}
        />
        <Select
          id="f-sort"
          label="Sort"
          param="sort"
          value={f.sort === 'urgency' ? '' : f.sort}
          options={[
            { value: '', label: 'Most urgent first' },
            { value: 'recent', label: 'Most recent first' },
          ]}
        />
        <label class="bd-check bd-group">
          <input
            id="f-group"
            type="checkbox"
            checked={f.group === 'incidents'}
            onChange={(e) => set('group', e.currentTarget.checked ? 'incidents' : '')}
          />
          Incidents first
        </label>
        {active > 0 && (
          <button
            type="button"
            class="link"
            onClick={() =>
              setParams({
                warehouseId: '',
                lane: '',
                customerId: '',
                customerTier: '',
                type: '',
                severity: '',
                olderThan: '',
              })
            }
          >
            Clear filters
          </button>
        )}
      </form>
    </details>
  );
}
