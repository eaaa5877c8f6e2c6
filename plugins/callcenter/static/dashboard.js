// The call-center dashboard: draws each table's chart (uPlot, shipped in vendor/) from the
// table itself (every cell's data-value), and refreshes the tables when the callsImported
// subscription (graphql-transport-ws on /graphql, the session cookie) says calls landed.
// Without JavaScript the server-rendered tables are the page.
(function () {
  'use strict';
  const main = document.querySelector('main');
  const style = getComputedStyle(document.documentElement);
  const palette = [style.getPropertyValue('--primary').trim() || '#1A5276',
                   style.getPropertyValue('--secondary').trim() || '#117A65',
                   '#B9770E', '#7D3C98', '#C0392B'];
  // Which columns each chart shows (0 = the first after the row header); all by default.
  const SHOWN = {'t-abandon_rate': [2], 't-agents': [0, 1]};

  function read(table) {
    const heads = Array.from(table.tHead.rows[0].cells, function (c) { return c.textContent; });
    const rows = Array.from(table.tBodies[0].rows);
    const labels = rows.map(function (r) { return r.cells[0].textContent; });
    const columns = heads.slice(1).map(function (_, i) {
      return rows.map(function (r) {
        const v = r.cells[i + 1].dataset.value;
        return v === undefined || v === '' ? null : Number(v);
      });
    });
    return {heads: heads, labels: labels, columns: columns};
  }

  function draw(table) {
    const holder = document.getElementById('c-' + table.id.slice(2));
    if (!holder || !window.uPlot) return;
    holder.textContent = '';
    const data = read(table);
    if (!data.labels.length) return;
    const bars = table.dataset.chart === 'bars';
    const shown = SHOWN[table.id] || data.columns.map(function (_, i) { return i; });
    const xs = data.labels.map(function (_, i) { return i; });
    const series = [{label: data.heads[0]}].concat(shown.map(function (c, n) {
      const color = palette[n % palette.length];
      // The first column as bars, the others as lines over them.
      return {label: data.heads[c + 1], stroke: color, width: 2,
              fill: bars && n === 0 ? color + '99' : undefined,
              paths: bars && n === 0 ? uPlot.paths.bars({size: [0.7, 60]}) : undefined,
              points: {show: !(bars && n === 0)}, spanGaps: !bars};
    }));
    const options = {
      width: Math.max(320, holder.clientWidth || 640), height: 240,
      scales: {x: {time: false, range: [-0.5, xs.length - 0.5]}},
      axes: [{values: function (u, ticks) {
        return ticks.map(function (t) { return Number.isInteger(t) ? (data.labels[t] || '') : ''; });
      }}, {}],
      series: series,
    };
    new uPlot(options, [xs].concat(shown.map(function (c) { return data.columns[c]; })), holder);
  }

  function drawAll() {
    document.querySelectorAll('table[data-chart]').forEach(draw);
  }

  let refreshing = false;
  let again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const response = await fetch(window.location.href, {credentials: 'same-origin',
                                                          headers: {Accept: 'text/html'}});
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), 'text/html');
        const fresh = page.getElementById('report');
        const current = document.getElementById('report');
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          drawAll();
          main.dataset.refreshes = String(Number(main.dataset.refreshes || 0) + 1);
          document.getElementById('live').textContent =
            main.dataset.updated + ' ' + new Date().toLocaleTimeString(document.documentElement.lang);
        }
      }
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }

  function listen(delay) {
    const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + window.location.host + '/graphql', 'graphql-transport-ws');
    socket.onopen = function () {
      socket.send(JSON.stringify({type: 'connection_init', payload: {}}));
    };
    socket.onmessage = function (event) {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        delay = 1000;
        socket.send(JSON.stringify({id: 'imports', type: 'subscribe', payload: {
          query: 'subscription($a: Int) { callsImported(accountNumber: $a) { accountNumbers } }',
          variables: {a: Number(main.dataset.account)}}}));
        main.dataset.live = 'open';
      } else if (message.type === 'next') {
        refresh();
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({type: 'pong'}));
      }
    };
    socket.onclose = function () {
      main.dataset.live = 'closed';
      // Closed (a restart, a network change, signed out): try again, more slowly each time.
      window.setTimeout(function () { listen(Math.min(delay * 2, 60000)); }, delay);
    };
  }

  drawAll();
  if (main.dataset.account) listen(1000);
})();
