// The network picture (Cytoscape.js, vendored in static/vendor/). The data comes from a
// <script type="application/json"> block: the Content-Security-Policy forbids inline scripts.
// The table under the picture holds every link for keyboard and screen-reader users.
(function () {
  const holder = document.getElementById('network-graph')
  const source = document.getElementById('network-data')
  if (!holder || !source || typeof window.cytoscape !== 'function') return
  const data = JSON.parse(source.textContent)
  const colours = { child: '#1d70b8', place: '#00703c', person: '#d4351c' }
  const elements = data.nodes.map(n => ({ data: { id: n.id, label: n.label, type: n.type, href: n.href } }))
    .concat(data.edges.map((e, i) => ({ data: { id: 'l' + i, source: e.source, target: e.target, times: e.times } })))
  const graph = window.cytoscape({
    container: holder,
    elements: elements,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4, width: 18, height: 18, 'background-color': ele => colours[ele.data('type')] || '#505a5f' } },
      { selector: 'node[type = "place"]', style: { shape: 'round-rectangle' } },
      { selector: 'node[type = "person"]', style: { shape: 'diamond' } },
      { selector: 'edge', style: { width: ele => Math.min(1 + ele.data('times'), 6), 'line-color': '#b1b4b6', 'curve-style': 'bezier' } },
      { selector: '.centre', style: { width: 28, height: 28, 'border-width': 3, 'border-color': '#0b0c0c' } }
    ],
    layout: { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true },
    wheelSensitivity: 0.2
  })
  if (data.centre) graph.getElementById(data.centre).addClass('centre')
  graph.on('tap', 'node', evt => { const href = evt.target.data('href'); if (href) window.location.assign(href) })
  holder.dataset.ready = String(graph.nodes().length)
})()
