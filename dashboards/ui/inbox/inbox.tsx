import { useState } from 'preact/hooks';
import { useLocation } from '../shared/router.ts';
import { can, useMe } from '../shared/session.ts';
import { ApprovalDetail } from './detail.tsx';
import { ApprovalListPane, historyStatuses, type Tab, tabs } from './list.tsx';
import { WriteDetail } from './write.tsx';
import './inbox.css';

/**
 * The approvals inbox (account owners, RevOps managers): "Waiting for me", "All pending" and "My history"
 * beside the selected approval (/approvals/:id) or write (/writebacks/:id). The tab is kept in the URL.
 * On a phone the list and the detail take turns in one column.
 */
export function Inbox(props: { selected?: string | undefined }) {
  const me = useMe();
  const loc = useLocation();
  const [version, setVersion] = useState(0);
  const asked = loc.params.get('tab');
  const tab: Tab = tabs.some((t) => t.id === asked)
    ? (asked as Tab)
    : can(me, 'approvals:decide')
      ? 'mine'
      : 'pending';
  const askedStatus = loc.params.get('status') ?? '';
  const status = (historyStatuses as readonly string[]).includes(askedStatus) ? askedStatus : '';
  const selected = props.selected;
  const isWrite = loc.path.startsWith('/writebacks/');
  const back = `/approvals?tab=${tab}${status ? `&status=${status}` : ''}`;
  return (
    <section class={`inbox${selected ? ' has-detail' : ''}`} aria-labelledby="inbox-title">
      <h1 id="inbox-title">Approvals</h1>
      <div class="split">
        <ApprovalListPane
          tab={tab}
          status={status}
          selected={isWrite ? undefined : selected}
          version={version}
        />
        {selected && isWrite ? (
          <WriteDetail id={selected} />
        ) : selected ? (
          <ApprovalDetail id={selected} backHref={back} onChanged={() => setVersion((v) => v + 1)} />
        ) : (
          <p class="pane hint">Choose an approval to see its fields, evidence, draft and history.</p>
        )}
      </div>
    </section>
  );
}
