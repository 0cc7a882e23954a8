/**
 * The status page: one self-contained HTML document (no build step, no
 * framework) that renders `/events` (server-sent events carrying the
 * StatusReport JSON) as tables. Every value is inserted as text, never as
 * HTML: lock names and values come from users.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Baton member</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .4rem; }
  table { border-collapse: collapse; min-width: 24rem; }
  th, td { text-align: left; padding: .2rem .8rem .2rem 0; border-bottom: 1px solid #e3e6ea; }
  th { font-weight: 600; color: #57606a; }
  .leader { font-weight: 700; color: #0a7d32; }
  .muted { color: #8b949e; }
  #state { font-size: 1.05rem; }
  #conn.down { color: #c62828; }
</style>
</head>
<body>
<h1>Baton member <span id="member"></span></h1>
<div id="state"></div>
<div class="muted">updated <span id="at">never</span> · <span id="conn">connecting…</span></div>
<h2>Members</h2>
<table><thead><tr><th>member</th><th>role</th><th>voter</th></tr></thead><tbody id="members"></tbody></table>
<h2>Leases (<span id="nleases">0</span>)</h2>
<table><thead><tr><th>lease</th><th>owner</th><th>ttl</th><th>remaining</th><th>locks + waits</th></tr></thead><tbody id="leases"></tbody></table>
<h2>Locks and elections (<span id="nlocks">0</span>)</h2>
<table><thead><tr><th>kind</th><th>name</th><th>holder</th><th>fencing token</th><th>value</th><th>waiters</th></tr></thead><tbody id="locks"></tbody></table>
<script>
  const $ = (id) => document.getElementById(id);
  function row(tbody, cells, cls) {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    for (const c of cells) { const td = document.createElement('td'); td.textContent = String(c); tr.appendChild(td); }
    tbody.appendChild(tr);
  }
  function render(r) {
    const m = r.member;
    $('member').textContent = m.id;
    $('state').textContent = m.role + ' in term ' + m.term + ' · leader: ' + (m.leaderId ?? 'none known') +
      ' · commit ' + m.commitIndex + ' · applied ' + m.appliedIndex;
    $('at').textContent = r.at;
    const members = $('members'); members.replaceChildren();
    for (const x of m.members) {
      const role = x.id === m.leaderId ? 'leader' : x.id === m.id ? m.role : (x.voter ? 'follower' : 'learner');
      row(members, [x.id, role, x.voter ? 'yes' : 'no'], x.id === m.leaderId ? 'leader' : '');
    }
    $('nleases').textContent = r.counts.leases;
    const leases = $('leases'); leases.replaceChildren();
    for (const l of r.leases) {
      row(leases, [l.leaseId, l.owner, l.ttlMs + ' ms', l.remainingMs === undefined ? '(on the leader)' : Math.round(l.remainingMs) + ' ms', l.requests]);
    }
    $('nlocks').textContent = r.counts.locks + r.counts.elections;
    const locks = $('locks'); locks.replaceChildren();
    for (const l of r.locks) {
      row(locks, [l.space, l.name, l.holder.memberId, l.holder.fencingToken, l.holder.value ?? '', l.waiters.map((w) => w.memberId).join(', ')]);
    }
  }
  const events = new EventSource('events');
  events.onmessage = (e) => { $('conn').textContent = 'live'; $('conn').className = ''; render(JSON.parse(e.data)); };
  events.onerror = () => { $('conn').textContent = 'disconnected (retrying)'; $('conn').className = 'down'; };
</script>
</body>
</html>
`;
