import type { ComponentChildren } from 'preact';
import { ColumnHeads, num } from '../shared/table.tsx';
import { count, StatusBadge, time } from './status.tsx';
import type { Consumer, DeadLetterGroup, Health, OpsAnswer, PartitionSet } from './types.ts';

/** A titled panel with its component's verdict in the heading line. */
export function Panel(props: { id: string; title: string; health?: Health; children: ComponentChildren }) {
  return (
    <section class="pane ops-pane" aria-labelledby={`${props.id}-title`} id={props.id}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.health ? (
        <p class="ops-verdict">
          <StatusBadge status={props.health.status} /> {props.health.text}
        </p>
      ) : null}
      {props.children}
    </section>
  );
}

/** A table that may scroll sideways on a phone: a focusable, named region (keyboard users can scroll it). */
export function Scroll(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section class="ops-scroll" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}

export function Summary(props: { data: OpsAnswer }) {
  return (
    <ul class="ops-summary" aria-label="Components">
      {props.data.components.map((c) => (
        <li key={c.name} class={`ops-card st-${c.status}`} data-component={c.name}>
          <span class="ops-card-head">
            <span class="ops-card-label">{c.label}</span>
            <StatusBadge status={c.status} />
          </span>
          <span class="ops-card-text">{c.text}</span>
        </li>
      ))}
    </ul>
  );
}

export function Connections(props: { data: OpsAnswer }) {
  const { nats, clickhouse } = props.data;
  return (
    <div class="ops-two">
      <Panel id="ops-nats" title="NATS" health={nats}>
        <dl class="ops-facts">
          <dt>Server</dt>
          <dd>{nats.server ?? 'not connected'}</dd>
          <dt>Name</dt>
          <dd class="ops-mono">{nats.serverName ?? '—'}</dd>
          <dt>Version</dt>
          <dd>{nats.version ?? '—'}</dd>
          <dt>JetStream</dt>
          <dd>{nats.jetstream ? 'enabled' : 'not enabled'}</dd>
          <dt>Round trip</dt>
          <dd>{nats.rttMs === null ? '—' : `${nats.rttMs} ms`}</dd>
        </dl>
      </Panel>
      <Panel id="ops-clickhouse" title="ClickHouse" health={clickhouse}>
        <dl class="ops-facts">
          <dt>Mode</dt>
          <dd>{clickhouse.mode === 'embedded' ? 'embedded (chDB)' : 'server'}</dd>
          <dt>Target</dt>
          <dd class="ops-mono">{clickhouse.target}</dd>
          <dt>Ping and query</dt>
          <dd>{clickhouse.pingMs === null ? '—' : `${clickhouse.pingMs} ms`}</dd>
        </dl>
      </Panel>
    </div>
  );
}

export function Consumers(props: { rows: readonly Consumer[]; health: Health }) {
  return (
    <Panel id="ops-consumers" title="Consumer lag" health={props.health}>
      <Scroll label="Durable consumers">
        <table id="ops-consumer-table">
          <caption class="sr-only">
            Durable consumers: messages not yet delivered (pending), delivered but not acknowledged,
            redelivered, and the last delivered stream sequence against the stream's last.
          </caption>
          <thead>
            <tr>
              <ColumnHeads
                columns={[
                  'Stream',
                  'Consumer',
                  num('Pending'),
                  num('Unacked'),
                  num('Redelivered'),
                  num('Delivered / last seq'),
                  'Status',
                ]}
              />
            </tr>
          </thead>
          <tbody>
            {props.rows.map((c) => (
              <tr key={`${c.stream}/${c.name}`} data-consumer={c.name}>
                <td class="ops-mono">{c.stream}</td>
                <th scope="row" class="ops-mono" title={c.filter ?? undefined}>
                  {c.name}
                </th>
                <td class="num">{count(c.pending)}</td>
                <td class="num">{count(c.ackPending)}</td>
                <td class="num">{count(c.redelivered)}</td>
                <td class="num">
                  {count(c.deliveredSeq)} / {count(c.streamLastSeq)}
                </td>
                <td>
                  <StatusBadge status={c.status} /> <span class="ops-small">{c.text}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </Panel>
  );
}

export function DeadLetters(props: { data: OpsAnswer['deadLetters'] }) {
  const d = props.data;
  return (
    <Panel id="ops-dead-letters" title="Dead letters" health={d}>
      {d.groups.length === 0 ? (
        <p class="ops-small">Nothing was parked.</p>
      ) : (
        <Scroll label="Dead letters by source and code">
          <table id="ops-dead-letter-table">
            <thead>
              <tr>
                <ColumnHeads columns={['Source', 'Code', num('All'), num('Last 24 h'), 'Latest', 'List']} />
              </tr>
            </thead>
            <tbody>
              {d.groups.map((g: DeadLetterGroup) => (
                <tr key={`${g.source}/${g.code}`} data-source={g.source} data-code={g.code}>
                  <td class="ops-mono">{g.source}</td>
                  <td class="ops-mono">{g.code}</td>
                  <td class="num">{count(g.count)}</td>
                  <td class="num">{count(g.last24h)}</td>
                  <td>{time(g.lastAt)}</td>
                  <td>
                    <a href={g.link}>
                      Show
                      <span class="sr-only">
                        {' '}
                        the {g.count} dead letters from {g.source} with code {g.code}
                      </span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <p class="ops-small">
        <a href={d.link}>All dead letters</a> (JSON; replay them with{' '}
        <code>dockside dead-letters --replay</code>)
      </p>
    </Panel>
  );
}

export function Partitions(props: { set: PartitionSet }) {
  const p = props.set;
  const id = `ops-partitions-${p.name}`;
  return (
    <Panel id={id} title={`${p.label} partitions`} health={p}>
      <ol class="ops-partitions" aria-label={`${p.label} partitions and their owners`} data-set={p.name}>
        {p.owners.map((o) => (
          <li key={o.partition} class={o.owner ? 'owned' : 'unowned'} data-partition={o.partition}>
            <span class="ops-part-no">p{o.partition}</span>
            <span class="ops-mono">{o.owner ?? 'no owner'}</span>
          </li>
        ))}
      </ol>
      <p class="ops-small">
        Workers:{' '}
        {p.workers.length === 0
          ? 'none announced'
          : p.workers.map((w, i) => (
              <span key={w.id}>
                {i > 0 ? ', ' : ''}
                <span class="ops-mono">{w.id}</span> (seen {time(w.seenAt)})
              </span>
            ))}
        . Lease bucket <span class="ops-mono">{p.bucket}</span>.
      </p>
    </Panel>
  );
}

export function Forecast(props: { data: OpsAnswer['forecast'] }) {
  const f = props.data;
  const r = f.lastRun;
  return (
    <Panel id="ops-forecast" title="Last forecast run" health={f}>
      {r ? (
        <dl class="ops-facts">
          <dt>Run</dt>
          <dd class="ops-mono">{r.runId}</dd>
          <dt>Finished</dt>
          <dd>{time(r.createdAt)}</dd>
          <dt>Measure</dt>
          <dd>{r.measure}</dd>
          <dt>Origin</dt>
          <dd>{r.origin}</dd>
          <dt>Lanes</dt>
          <dd>{count(r.lanes)}</dd>
          <dt>Served model</dt>
          <dd>{r.served}</dd>
          <dt>Horizon</dt>
          <dd>{r.horizon} days</dd>
        </dl>
      ) : (
        <p class="ops-small">No run stored yet.</p>
      )}
    </Panel>
  );
}

export function Writeback(props: { data: OpsAnswer['writeback'] }) {
  const w = props.data;
  return (
    <Panel id="ops-writeback" title="Write-back" health={w}>
      <dl class="ops-facts">
        <dt>Outbox backlog</dt>
        <dd>{count(w.outboxBacklog)}</dd>
        <dt>Failed writes</dt>
        <dd>{count(w.failedWrites)}</dd>
        <dt>Held writes</dt>
        <dd>{count(w.heldWrites)}</dd>
      </dl>
    </Panel>
  );
}
